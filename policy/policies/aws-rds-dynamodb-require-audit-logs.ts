// E16: databases keep an audit trail of their own. Aurora/RDS clusters and instances export their
// audit (and error) logs to CloudWatch Logs, and the export log groups the stack declares keep them
// >= 365 days (RDS creates undeclared ones with "never expire"). DynamoDB tables holding regulated
// data have their data events recorded by a trail (CloudTrail does not log DynamoDB item access by
// default). Export names per engine: RDS user guide, "Publishing database logs to Amazon CloudWatch
// Logs" (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html).
import { StackValidationPolicy } from "@pulumi/policy";
import { documented, LOG_COVERAGE } from "../lib/metadata";
import { Node, stackModelOf } from "../lib/stack-model";
import { asArray, isUnknown, show, Undetermined } from "../lib/values";
import { MIN_RETENTION_DAYS } from "./aws-s3-bucket-require-retention-365-days";

/** The log exports that carry the audit record, by engine family. */
export function requiredExports(engine: string): string[] | undefined {
  if (/^(aurora-mysql|aurora|mysql|mariadb)$/.test(engine)) return ["audit", "error"];
  if (/^(aurora-postgresql|postgres)$/.test(engine)) return ["postgresql"];
  if (/^(custom-)?oracle/.test(engine)) return ["audit", "alert"];
  if (/^(custom-)?sqlserver/.test(engine)) return ["error"];
  return undefined;
}

interface DatabaseAuditConfig {
  /** Judge every DynamoDB table, not only the tagged ones. */
  allTables: boolean;
  tagKey: string;
  regulatedValues: string[];
}

export const databaseAuditLogs = documented<StackValidationPolicy>(
  {
    name: "aws-rds-dynamodb-require-audit-logs",
    description:
      "Aurora/RDS databases should export their audit and error logs to CloudWatch Logs kept >= 365 days, and a trail should record the data events of DynamoDB tables holding regulated data (E16).",
    enforcementLevel: "advisory",
    severity: "medium",
    remediationSteps:
      'Set `enabledCloudwatchLogsExports` (e.g. ["audit", "error"] for Aurora MySQL with `server_audit_logging` on in the cluster parameter group; ' +
      '["postgresql"] with pgaudit for PostgreSQL); keep declared /aws/rds/... log groups >= 365 days; add an advanced event selector ' +
      "(eventCategory Data, resources.type AWS::DynamoDB::Table) naming the regulated tables.",
    configSchema: {
      properties: {
        allTables: { type: "boolean", default: false, description: "Judge every DynamoDB table, not only those tagged as regulated." },
        tagKey: { type: "string", default: "DataClassification", description: "Tag whose value classifies a table's data." },
        regulatedValues: {
          type: "array",
          items: { type: "string" },
          default: ["regulated", "phi", "pii", "pci", "confidential"],
          description: "Tag values that mark regulated data.",
        },
      },
    },
    validateStack: (args, reportViolation) => {
      const m = stackModelOf(args.resources, args.stackTags);
      const u = new Undetermined();
      const cfg = {
        allTables: false,
        tagKey: "DataClassification",
        regulatedValues: ["regulated", "phi", "pii", "pci", "confidential"],
        ...args.getConfig<Partial<DatabaseAuditConfig>>(),
      };

      const databases: [Node, "cluster" | "instance", unknown][] = [
        ...m.rdsClusters.map((n): [Node, "cluster", unknown] => [n, "cluster", n.props.clusterIdentifier]),
        // Aurora instances export nothing of their own: their cluster does.
        ...m.rdsInstances.filter((n) => n.props.clusterIdentifier === undefined).map((n): [Node, "instance", unknown] => [n, "instance", n.props.identifier]),
      ];
      for (const [db, kind, identifier] of databases) {
        const engine = db.props.engine;
        if (isUnknown(engine)) {
          u.add(`engine of ${db.resource.name}`);
          continue;
        }
        const required = typeof engine === "string" ? requiredExports(engine) : undefined;
        if (!required) continue;
        const exports = db.props.enabledCloudwatchLogsExports;
        if (isUnknown(exports) || asArray(exports).some(isUnknown)) {
          u.add(`enabledCloudwatchLogsExports of ${db.resource.name}`);
          continue;
        }
        const missing = required.filter((e) => !asArray(exports).includes(e));
        if (missing.length > 0) {
          reportViolation(
            `RDS ${kind} "${db.resource.name}" (${engine}) does not export its ${missing.join(", ")} log(s) to CloudWatch Logs.`,
            db.resource.urn,
          );
        }
        if (typeof identifier !== "string") continue;
        for (const g of m.logGroups) {
          const name = g.props.name;
          if (typeof name !== "string" || !name.startsWith(`/aws/rds/${kind}/${identifier}/`)) continue;
          const days = g.props.retentionInDays;
          if (isUnknown(days)) u.add(`retentionInDays of ${g.resource.name}`);
          else if (typeof days === "number" && days > 0 && days < MIN_RETENTION_DAYS) {
            reportViolation(
              `Log group "${name}" of RDS ${kind} "${db.resource.name}" keeps its logs ${days} days; at least ${MIN_RETENTION_DAYS} are required.`,
              g.resource.urn,
            );
          }
        }
      }

      for (const table of m.dynamoTables) {
        const tags = table.props.tags;
        const value = tags && !isUnknown(tags) ? tags[cfg.tagKey] : undefined;
        if (isUnknown(value)) {
          if (!cfg.allTables) u.add(`tag ${cfg.tagKey} of table ${table.resource.name}`);
        }
        const regulated = cfg.allTables || (typeof value === "string" && cfg.regulatedValues.map((v) => v.toLowerCase()).includes(value.toLowerCase()));
        if (!regulated) continue;
        const arn = table.props.arn;
        const recorded = m.trails.some((t) => recordsTable(t, table, arn, u));
        if (!recorded) {
          reportViolation(
            `DynamoDB table "${labelOfTable(table)}" holds regulated data (${cfg.allTables ? "allTables" : `${cfg.tagKey}=${show(value)}`}) but no trail records its data events.`,
            table.resource.urn,
          );
        }
      }
      u.raiseIfAny();
    },
  },
  { requirements: ["E16"], controls: LOG_COVERAGE },
);

const labelOfTable = (t: Node) => (typeof t.props.name === "string" ? t.props.name : t.resource.name);

/** Whether a trail's selectors record DynamoDB data events of this table. */
function recordsTable(trail: Node, table: Node, arn: unknown, u: Undetermined): boolean {
  const viaDependency = (trail.resource.propertyDependencies?.advancedEventSelectors ?? []).some((d) => d.urn === table.resource.urn);
  const matches = (values: unknown[]) =>
    values.length === 0 ||
    viaDependency ||
    values.some((v) => {
      if (isUnknown(v)) {
        u.add(`data event selector ARN of trail ${trail.resource.name}`);
        return false;
      }
      return typeof v === "string" && typeof arn === "string" && arn.startsWith(v);
    });
  for (const sel of asArray(trail.props.advancedEventSelectors)) {
    if (isUnknown(sel)) continue;
    const fields = asArray(sel.fieldSelectors);
    const category = fields.find((f) => f?.field === "eventCategory");
    const type = fields.find((f) => f?.field === "resources.type");
    if (!asArray(category?.equals).includes("Data") || !asArray(type?.equals).includes("AWS::DynamoDB::Table")) continue;
    const arnFields = fields.filter((f) => f?.field === "resources.ARN");
    if (matches(arnFields.flatMap((f) => [...asArray(f.equals), ...asArray(f.startsWiths)]))) return true;
  }
  for (const sel of asArray(trail.props.eventSelectors)) {
    for (const dr of asArray(sel?.dataResources)) {
      if (dr?.type !== "AWS::DynamoDB::Table") continue;
      const values = asArray(dr.values);
      if (values.includes("arn:aws:dynamodb") || matches(values)) return true;
    }
  }
  return false;
}
