// One prd run with every option that does not exclude another (issue 13: each config-override run
// costs a whole mocked program run). Tests of those options read this one run: an organisation
// trail, auditor roles, presign caller roles, mTLS with a private certificate (ownership
// verification), a Slack webhook and e-mail recipients for alerts, and the account-wide singletons (Config, GuardDuty, Security Hub, Inspector,
// Access Analyzer, API Gateway's account role) left to another stack of the account. Options that exclude one
// another (no data bucket, chatbot delivery) keep runs of their own.
import { MOCK_ACCOUNT_ID } from "../../offline/mocks";

export const P = "audit-trail-estate";
const ACCOUNT = MOCK_ACCOUNT_ID;
const REGION = "ap-northeast-1";

export const ORGANIZATION_ID = "o-abcdef1234";
export const AUDITOR_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/external-auditor`;
export const CALLER_ROLE_ARNS = [`arn:aws:iam::${ACCOUNT}:role/backup-agent`, `arn:aws:iam::210987654321:role/partner-backup-agent`];
export const MTLS_CERTIFICATE_ARN = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/12345678-1234-1234-1234-123456789012`;
export const OWNERSHIP_CERTIFICATE_ARN = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/abcdefab-1234-1234-1234-123456789012`;

export const SLACK_WEBHOOK_URL = "https://hooks.slack.com/services/T000/B000/XXXX";
export const ALERT_EMAIL = "soc@example.org";

export const SHARED_OPTIONS: Record<string, string> = {
  [`${P}:organizationTrail`]: "true",
  [`${P}:organizationId`]: ORGANIZATION_ID,
  [`${P}:auditorRoleArns`]: JSON.stringify([AUDITOR_ROLE_ARN]),
  [`${P}:presignCallerRoleArns`]: JSON.stringify(CALLER_ROLE_ARNS),
  [`${P}:mtlsEnabled`]: "true",
  [`${P}:mtlsDomainName`]: "backup-api.example.org",
  [`${P}:mtlsCertificateArn`]: MTLS_CERTIFICATE_ARN,
  [`${P}:mtlsCertificateSource`]: "acm-private",
  [`${P}:mtlsOwnershipVerificationCertificateArn`]: OWNERSHIP_CERTIFICATE_ARN,
  [`${P}:accountSingletonsOwner`]: "dev2",
  [`${P}:manageApiGatewayAccount`]: "false",
  [`${P}:slackWebhookUrl`]: SLACK_WEBHOOK_URL,
  [`${P}:alertEmailAddresses`]: JSON.stringify([ALERT_EMAIL]),
};
