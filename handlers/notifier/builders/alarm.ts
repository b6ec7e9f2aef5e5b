/** CloudWatch alarms (E9 bursts and CIS filters, DLQ depth, daily-review watch) as SNS delivers them. */
import type { Notification, NotificationFact, NotificationSection, Severity } from "../notification";
import { describeInstant, fact, isObject, nonEmptyString, regionFromArn, scalarText, whenFacts, type JsonObject } from "../text";

export function isAlarmMessage(parsed: JsonObject): boolean {
  return nonEmptyString(parsed.AlarmName) !== undefined && nonEmptyString(parsed.NewStateValue) !== undefined;
}

export function alarmNotification(alarm: JsonObject): Notification {
  const name = nonEmptyString(alarm.AlarmName) ?? "unknown alarm";
  const newState = nonEmptyString(alarm.NewStateValue) ?? "unknown";
  const oldState = nonEmptyString(alarm.OldStateValue);
  const trigger = isObject(alarm.Trigger) ? alarm.Trigger : {};
  const namespace = nonEmptyString(trigger.Namespace);
  const metricName = nonEmptyString(trigger.MetricName);
  const alarmArn = nonEmptyString(alarm.AlarmArn);
  const regionCode = regionFromArn(alarmArn);

  // Messages waiting in the DLQ are alerts Slack never received; root use is never routine.
  const isDlqDepth = namespace === "AWS/SQS" && metricName === "ApproximateNumberOfMessagesVisible";
  const isRootUse = /root/i.test(`${name} ${metricName ?? ""}`);
  let severity: Severity = newState === "ALARM" ? "high" : newState === "OK" ? "info" : "low";
  if (newState === "ALARM" && (isDlqDepth || isRootUse)) severity = "critical";

  const what: NotificationFact[] = [fact("Alarm", name)];
  const description = scalarText(alarm.AlarmDescription);
  if (description !== undefined) what.push(fact("Description", description));
  what.push(fact("State", oldState === undefined ? newState : `${oldState} -> ${newState}`));
  what.push(fact("Reason", scalarText(alarm.NewStateReason) ?? "not given"));
  if (isDlqDepth) what.push(fact("Meaning", "notifications failed delivery and wait in the dead-letter queue"));

  const metric: NotificationFact[] = [];
  if (namespace !== undefined || metricName !== undefined) metric.push(fact("Metric", `${namespace ?? "?"} / ${metricName ?? "?"}`));
  else if (Array.isArray(trigger.Metrics)) metric.push(fact("Metric", "metric math expression"));
  const threshold = scalarText(trigger.Threshold);
  if (threshold !== undefined) {
    const comparison = scalarText(trigger.ComparisonOperator) ?? "compared with";
    const statistic = scalarText(trigger.Statistic) ?? scalarText(trigger.ExtendedStatistic);
    metric.push(fact("Condition", `${statistic === undefined ? "" : `${statistic} `}${comparison} ${threshold}`));
  }
  const period = scalarText(trigger.Period);
  const evaluationPeriods = scalarText(trigger.EvaluationPeriods);
  if (period !== undefined || evaluationPeriods !== undefined) metric.push(fact("Window", `${evaluationPeriods ?? "?"} x ${period ?? "?"} s`));

  const where: NotificationFact[] = [fact("Region", nonEmptyString(alarm.Region) ?? regionCode ?? "not recorded")];
  const account = scalarText(alarm.AWSAccountId);
  if (account !== undefined) where.push(fact("Account", account));

  const url =
    regionCode === undefined
      ? undefined
      : `https://${regionCode}.console.aws.amazon.com/cloudwatch/home?region=${regionCode}#alarmsV2:alarm/${encodeURIComponent(name)}`;

  const sections: NotificationSection[] = [{ title: "What", facts: what }];
  if (metric.length > 0) sections.push({ title: "Metric", facts: metric });
  sections.push({ title: "When", facts: whenFacts(describeInstant(nonEmptyString(alarm.StateChangeTime))) });
  sections.push({ title: "Where", facts: where });

  return {
    kind: "cloudwatch-alarm",
    severity,
    headline: `Alarm ${newState}: ${name}${isDlqDepth && newState === "ALARM" ? " - undelivered notifications in the DLQ" : ""}`,
    sections,
    links: url === undefined ? [] : [{ label: "Open alarm in CloudWatch", url }],
    reference: alarmArn ?? name,
  };
}
