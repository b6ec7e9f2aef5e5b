/**
 * Notifier Lambda (E8, E9, E10, E14): SNS (KMS-encrypted) -> this function -> the environment's
 * Slack channel (bs-notification-dev | -stg | -prd, 001 V).
 *
 * Thin adapter: take the messages out of the SNS event, let classify.ts (with one builder per
 * kind, builders/) decide what they are and render.ts turn them into Block Kit, let slack.ts
 * deliver them. Every message of a batch is attempted; if any could not be
 * delivered, the invocation throws naming them, so Lambda's async retries and then its
 * on-failure destination / DLQ keep the event (E8: a Slack outage never drops an alert).
 *
 * Environment: ENVIRONMENT, SLACK_CHANNEL, DEPLOYER_ROLE_ARNS, SLACK_WEBHOOK_SECRET_ARN (config.ts).
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { readNotifierConfig, type NotifierConfig } from "./config";
import { classifyMessage, extractIncomingMessages } from "./classify";
import type { IncomingMessage, Notification, RenderOptions } from "./notification";
import { renderFallbackPayload, renderSlackPayload } from "./render";
import { DEFAULT_RETRY_TUNING, defaultSlackTransport, postSlackMessage, SlackDeliveryError, type SlackRetryPolicy, type SlackTransport } from "./slack";
import { createCachedWebhookUrlSource, secretsManagerWebhookUrlLoader, type WebhookUrlSource } from "./webhook-url";

/** The parts of the Lambda context the notifier uses. */
export interface LambdaContextLike {
  getRemainingTimeInMillis(): number;
  readonly awsRequestId?: string;
}

/** Structured logging as the Powertools Logger offers it; stable keys, no secrets, no bodies (No.50). */
export interface NotifierLogger {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
  addContext?(context: LambdaContextLike): void;
}

export interface DeliveryTuning extends Omit<SlackRetryPolicy, "budgetMs"> {
  /** Kept back from the invocation's remaining time so the function can log and throw before its timeout. */
  readonly safetyMarginMs: number;
}

export const DEFAULT_DELIVERY_TUNING: DeliveryTuning = { ...DEFAULT_RETRY_TUNING, safetyMarginMs: 3_000 };

export interface NotifierDependencies extends Pick<NotifierConfig, "environment" | "slackChannel" | "deployerRoleArns"> {
  readonly webhookUrl: WebhookUrlSource;
  readonly logger: NotifierLogger;
  readonly transport?: SlackTransport;
  readonly tuning?: Partial<DeliveryTuning>;
}

export interface NotifierInvocationSummary {
  readonly messages: number;
  readonly delivered: number;
  readonly skippedRoutine: number;
  readonly failed: number;
}

export interface UndeliveredMessage {
  readonly index: number;
  readonly snsMessageId?: string;
  readonly reason: string;
}

/** Thrown when any message of the invocation was not delivered; names each one. */
export class NotificationDeliveryError extends Error {
  constructor(
    readonly undelivered: readonly UndeliveredMessage[],
    total: number,
  ) {
    super(
      `${undelivered.length} of ${total} notification(s) not delivered to Slack (the event is kept by Lambda retries / DLQ): ${undelivered
        .map((u) => `record ${u.index}${u.snsMessageId === undefined ? "" : ` (SNS message ${u.snsMessageId})`}: ${u.reason}`)
        .join("; ")}`,
    );
    this.name = "NotificationDeliveryError";
  }
}

export type NotifierHandler = (event: unknown, context: LambdaContextLike) => Promise<NotifierInvocationSummary>;

/** Invocation time assumed when the context cannot tell (a manual test invoke). */
const FALLBACK_REMAINING_MS = 10_000;
const METRIC_NAMESPACE = "AuditTrail/Notifier";

export function createNotifierHandler(deps: NotifierDependencies): NotifierHandler {
  const tuning: DeliveryTuning = { ...DEFAULT_DELIVERY_TUNING, ...deps.tuning };
  const transport = deps.transport ?? defaultSlackTransport;
  const renderOptions: RenderOptions = { environment: deps.environment, channel: deps.slackChannel };
  const { logger } = deps;

  return async function handleNotifierEvent(event, context) {
    logger.addContext?.(context);
    const remainingMs = typeof context?.getRemainingTimeInMillis === "function" ? context.getRemainingTimeInMillis() : FALLBACK_REMAINING_MS;
    const deadline = transport.now() + remainingMs - tuning.safetyMarginMs;
    const retryPolicy = (): SlackRetryPolicy => ({ ...tuning, budgetMs: deadline - transport.now() });

    const deliverMessage = async (message: IncomingMessage): Promise<"delivered" | "skipped-routine"> => {
      const classified = classifyMessage(message, { deployerRoleArns: deps.deployerRoleArns });
      if (classified.action === "skip-routine") {
        // 001 No.29: routine operations are recorded (CloudTrail has them), not notified.
        logger.info("Routine deployer operation recorded, not notified", {
          recordIndex: message.index,
          snsMessageId: message.snsMessageId,
          eventName: classified.routine.eventName,
          eventId: classified.routine.eventId,
          sessionIssuerArn: classified.routine.sessionIssuerArn,
        });
        return "skipped-routine";
      }
      const { notification } = classified;
      try {
        const webhookUrl = await deps.webhookUrl.get();
        const receipt = await deliverWithFallback(webhookUrl, notification, message);
        logger.info("Notification delivered", { ...describeForLog(message, notification), attempts: receipt.attempts });
        return "delivered";
      } catch (error) {
        logger.error("Notification not delivered", {
          ...describeForLog(message, notification),
          error: error instanceof Error ? error.message : String(error),
        });
        throw error;
      }
    };

    const deliverWithFallback = async (webhookUrl: string, notification: Notification, message: IncomingMessage) => {
      try {
        return await postSlackMessage(webhookUrl, renderSlackPayload(notification, renderOptions), retryPolicy(), transport);
      } catch (error) {
        if (!(error instanceof SlackDeliveryError) || !error.permanent) throw error;
        if (error.lastStatus === 400) {
          // Slack refused the blocks (invalid_blocks / invalid_payload): send the plain-text
          // fallback with the original message so the alert still reaches people.
          logger.warn("Slack rejected the Block Kit message; sending the plain-text fallback", {
            ...describeForLog(message, notification),
            error: error.message,
          });
          return postSlackMessage(webhookUrl, renderFallbackPayload(notification, message.body, renderOptions), retryPolicy(), transport);
        }
        // 403 / 404 / 410: the webhook was revoked or rotated; read the secret again next time.
        deps.webhookUrl.invalidate();
        throw error;
      }
    };

    const messages = extractIncomingMessages(event);
    const outcomes = await Promise.allSettled(messages.map(deliverMessage));

    const undelivered: UndeliveredMessage[] = [];
    outcomes.forEach((outcome, i) => {
      if (outcome.status === "rejected") {
        const reason = outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
        undelivered.push({ index: messages[i].index, snsMessageId: messages[i].snsMessageId, reason });
      }
    });
    const summary: NotifierInvocationSummary = {
      messages: messages.length,
      delivered: outcomes.filter((o) => o.status === "fulfilled" && o.value === "delivered").length,
      skippedRoutine: outcomes.filter((o) => o.status === "fulfilled" && o.value === "skipped-routine").length,
      failed: undelivered.length,
    };
    // One summary line per invocation, also in CloudWatch Embedded Metric Format so routine skips
    // are counted and failed deliveries can be alarmed on without a metric filter.
    logger.info("Notifier invocation summary", {
      ...summary,
      _aws: {
        Timestamp: transport.now(),
        CloudWatchMetrics: [
          {
            Namespace: METRIC_NAMESPACE,
            Dimensions: [["Environment"]],
            Metrics: [
              { Name: "NotificationsDelivered", Unit: "Count" },
              { Name: "RoutineOperationsSkipped", Unit: "Count" },
              { Name: "NotificationsFailed", Unit: "Count" },
            ],
          },
        ],
      },
      Environment: deps.environment,
      NotificationsDelivered: summary.delivered,
      RoutineOperationsSkipped: summary.skippedRoutine,
      NotificationsFailed: summary.failed,
    });
    if (undelivered.length > 0) throw new NotificationDeliveryError(undelivered, messages.length);
    return summary;
  };
}

/** Log keys for one message: identifiers and classification only, never the principal or body (No.50). */
function describeForLog(message: IncomingMessage, notification: Notification): Record<string, unknown> {
  return {
    recordIndex: message.index,
    snsMessageId: message.snsMessageId,
    kind: notification.kind,
    severity: notification.severity,
    reference: notification.reference,
  };
}

/** Production wiring from the process environment; throws NotifierConfigError naming bad variables. */
export function createNotifierHandlerFromEnv(env: Readonly<Record<string, string | undefined>>): NotifierHandler {
  const config = readNotifierConfig(env);
  const logger = new Logger({
    serviceName: "audit-trail-notifier",
    persistentKeys: { environment: config.environment },
  });
  return createNotifierHandler({
    environment: config.environment,
    slackChannel: config.slackChannel,
    deployerRoleArns: config.deployerRoleArns,
    webhookUrl: createCachedWebhookUrlSource(secretsManagerWebhookUrlLoader(config.webhookSecretArn)),
    logger: {
      info: (message, attributes) => logger.info(message, attributes),
      warn: (message, attributes) => logger.warn(message, attributes),
      error: (message, attributes) => logger.error(message, attributes),
      addContext: (context) => logger.addContext(context as Parameters<Logger["addContext"]>[0]),
    },
  });
}

let coldStartHandler: NotifierHandler | undefined;

/**
 * The Lambda entry point. Built on first invocation (not at import) so a configuration error is
 * thrown from the invocation - and the event goes to retry / DLQ - rather than failing init.
 */
export const handler: NotifierHandler = async (event, context) => {
  coldStartHandler ??= createNotifierHandlerFromEnv(process.env);
  return coldStartHandler(event, context);
};
