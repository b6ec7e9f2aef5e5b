// The parts of an API Gateway REST (v1, proxy integration) event this handler reads.
// Declared here rather than taken from @types/aws-lambda (not a dependency of the project).
// Every field is optional on purpose: the handler must answer a malformed or unexpected event
// with a 4xx and an audit record, never crash on a missing property (E12).

/** requestContext.identity.clientCert, present when the custom domain enforces mutual TLS. */
export interface ApiGatewayClientCert {
  clientCertPem?: string;
  subjectDN?: string;
  issuerDN?: string;
  serialNumber?: string;
  validity?: { notBefore?: string; notAfter?: string };
}

/** requestContext.identity as API Gateway fills it for AWS_IAM (SigV4) authorization. */
export interface ApiGatewayIamIdentity {
  accountId?: string | null;
  caller?: string | null;
  user?: string | null;
  userArn?: string | null;
  accessKey?: string | null;
  sourceIp?: string | null;
  userAgent?: string | null;
  clientCert?: ApiGatewayClientCert | null;
}

export interface ApiGatewayRequestContext {
  requestId?: string;
  extendedRequestId?: string;
  stage?: string;
  resourcePath?: string;
  httpMethod?: string;
  domainName?: string;
  identity?: ApiGatewayIamIdentity;
}

export interface ApiGatewayProxyEventV1 {
  resource?: string;
  path?: string;
  httpMethod?: string;
  headers?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext?: ApiGatewayRequestContext;
}

export interface ApiGatewayProxyResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The one field of the Lambda context object the handler uses. */
export interface LambdaInvocationContext {
  awsRequestId?: string;
}
