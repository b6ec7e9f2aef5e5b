// A registration that fails asynchronously: the error is thrown inside an apply on a value known
// during a preview (so it runs in a preview too), after the program's top level has returned.
// A real preview fails; so must the check.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const bucket = new aws.s3.Bucket("logs");
new aws.s3.BucketPolicy("logs-policy", {
  bucket: bucket.id,
  policy: pulumi.output("logs").apply((name): string => {
    throw new Error(`cannot build the policy of ${name}: statement missing`);
  }),
});
