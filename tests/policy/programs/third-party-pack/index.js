// A pack written as a third party writes one (as @pulumi/awsguard does): a config schema with a
// default, and a programmatic initialConfig (third argument of PolicyPack), both of which the CLI
// reconciles before it configures the pack (pulumi/pulumi pkg/resource/analyzer/config.go).
const { PolicyPack } = require("@pulumi/policy");

new PolicyPack(
  "third-party-buckets",
  {
    policies: [
      {
        name: "s3-bucket-name-prefix",
        description: "Bucket names start with the configured prefix.",
        enforcementLevel: "advisory",
        configSchema: { properties: { prefix: { type: "string", default: "corp-" } } },
        validateResource: (args, reportViolation) => {
          if (args.type !== "aws:s3/bucket:Bucket") return;
          const { prefix } = args.getConfig();
          const name = args.props.bucket;
          if (typeof name === "string" && !name.startsWith(prefix)) reportViolation(`bucket ${name} does not start with ${prefix}`);
        },
      },
      {
        name: "s3-bucket-no-website",
        description: "Buckets do not host websites.",
        enforcementLevel: "advisory",
        validateResource: (args, reportViolation) => {
          if (args.type === "aws:s3/bucket:Bucket" && args.props.website) reportViolation("bucket hosts a website");
        },
      },
    ],
  },
  { "s3-bucket-no-website": "mandatory" },
);
