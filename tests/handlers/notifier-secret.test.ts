// The notifier's Secrets Manager reader (AWS SDK v3), against aws-sdk-client-mock.
import { strict as assert } from "assert";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { loadSecretsManagerReader } from "../../handlers/notifier/webhook-url";

describe("notifier webhook secret reader", () => {
  const sm = mockClient(SecretsManagerClient);
  afterEach(() => sm.reset());
  after(() => sm.restore());

  it("reads the secret string of the named secret", async () => {
    const arn = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:audit-prd/slack-webhook-url-AbCdEf";
    sm.on(GetSecretValueCommand, { SecretId: arn }).resolves({ SecretString: "https://hooks.slack.com/services/T/B/x" });
    assert.equal(await loadSecretsManagerReader().getSecretString(arn), "https://hooks.slack.com/services/T/B/x");
    assert.equal(sm.commandCalls(GetSecretValueCommand).length, 1);
  });
  it("propagates a Secrets Manager failure (the event is then retried and kept in the DLQ)", async () => {
    sm.on(GetSecretValueCommand).rejects(new Error("AccessDeniedException"));
    await assert.rejects(loadSecretsManagerReader().getSecretString("arn:x"), /AccessDeniedException/);
  });
});
