// pulumi/examples aws-ts-s3-folder/index.ts (commit 2483e6d4e9207a4551e9ac34058c29c91749bf06),
// unchanged except: `mime.getType` replaced by a two-entry table (the `mime` package is not a
// dependency here), and one console.log (the check must keep its JSON on stdout clean).
// It reads ./www relative to its project folder and passes a resource (`bucket: siteBucket`).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "fs";

const mime = { getType: (p: string) => (p.endsWith(".html") ? "text/html" : p.endsWith(".png") ? "image/png" : null) };

// Create a bucket and expose a website index document
const siteBucket = new aws.s3.Bucket("s3-website-bucket", {
  website: {
    indexDocument: "index.html",
  },
});

const siteDir = "www"; // directory for content files

// For each file in the directory, create an S3 object stored in `siteBucket`
for (const item of fs.readdirSync(siteDir)) {
  const filePath = require("path").join(siteDir, item);
  const siteObject = new aws.s3.BucketObject(item, {
    bucket: siteBucket, // reference the s3.Bucket object
    source: new pulumi.asset.FileAsset(filePath), // use FileAsset to point to a file
    contentType: mime.getType(filePath) || undefined, // set the MIME type of the file
  });
}

// Set the access policy for the bucket so all objects are readable
const bucketPolicy = new aws.s3.BucketPolicy("bucketPolicy", {
  bucket: siteBucket.id, // refer to the bucket created earlier
  policy: siteBucket.arn.apply((bucketArn) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: "*",
          Action: ["s3:GetObject"],
          Resource: [
            `${bucketArn}/*`, //
          ],
        },
      ],
    }),
  ),
});

console.log(`uploading ${fs.readdirSync(siteDir).length} file(s); dry run: ${pulumi.runtime.isDryRun()}`);

// Stack exports
export const bucketName = siteBucket.bucket;
export const websiteUrl = siteBucket.websiteEndpoint;
