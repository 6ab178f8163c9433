import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  CreateTrainingJobCommand,
  UpdateModelPackageCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';

/*
 * The registry the SageMaker connector test collects from, seeded into moto through the AWS SDK (directly, not
 * through the test's recording proxy): two groups of packages with training jobs, customer metadata with
 * hostile keys and values, an approved and a pending package served by one endpoint.
 */
export const creds = { accessKeyId: 'testing', secretAccessKey: 'testing' };
export const perGroup = 40;
// The longest name SageMaker allows (63), and a plain one.
export const longGroup = `g${'x'.repeat(61)}9`;
export const credit = 'credit-scoring';
// Hostile values where SageMaker allows them: customer metadata keys and values, and the card's content.
export const hostileKey = '../../etc/passwd';
export const hostileValue = 'Ünïcødé ✓ 模型 \u202e rtl';
// Moto's UpdateModelPackage replaces the customer metadata instead of merging it (AWS merges): updates resend it.
export const metadata = { owner: 'risk-team', [hostileKey]: hostileValue };
export const card = JSON.stringify({
  model_overview: { model_description: 'Scores credit 💳', intended_uses: 'Retail' },
});

/** Two groups of `perGroup` packages, each with its training job; one endpoint serving versions 40 and 39 of `credit`. */
export async function seedSagemaker(admin: SageMakerClient): Promise<void> {
  for (const group of [credit, longGroup]) {
    await admin.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: group }));
    for (let i = 1; i <= perGroup; i++) {
      const job = `${group.slice(0, 40)}-job-${i}`;
      await admin.send(
        new CreateTrainingJobCommand({
          TrainingJobName: job,
          AlgorithmSpecification: { TrainingImage: 'img:1', TrainingInputMode: 'File' },
          RoleArn: 'arn:aws:iam::123456789012:role/sm',
          HyperParameters: { epochs: String(i) },
          InputDataConfig: [
            {
              ChannelName: 'train',
              DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: `s3://data/${group}/train/` } },
            },
          ],
          OutputDataConfig: { S3OutputPath: 's3://models/out' },
          ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1, VolumeSizeInGB: 10 },
          StoppingCondition: { MaxRuntimeInSeconds: 3600 },
        }),
      );
      await admin.send(
        new CreateModelPackageCommand({
          ModelPackageGroupName: group,
          ModelPackageDescription: `version ${i}`,
          ModelApprovalStatus: 'PendingManualApproval',
          // The job is found from SageMaker's output layout of the model data (no metadata key needed).
          InferenceSpecification: {
            Containers: [{ Image: 'img:1', ModelDataUrl: `s3://models/out/${job}/output/model.tar.gz` }],
            SupportedContentTypes: ['text/csv'],
            SupportedResponseMIMETypes: ['text/csv'],
          },
          CustomerMetadataProperties: metadata,
          ModelMetrics: {
            ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `s3://reports/${i}.json` } },
          },
        }),
      );
    }
  }
  const arn = (v: number) => `arn:aws:sagemaker:us-east-1:123456789012:model-package/${credit}/${v}`;
  await admin.send(
    new UpdateModelPackageCommand({
      ModelPackageArn: arn(perGroup),
      ModelApprovalStatus: 'Approved',
      ApprovalDescription: 'signed off',
      CustomerMetadataProperties: metadata,
    }),
  );
  // One endpoint, two variants: the approved last version, and the one before it still pending approval.
  for (const v of [perGroup, perGroup - 1]) {
    await admin.send(
      new CreateModelCommand({
        ModelName: `credit-v${v}`,
        PrimaryContainer: { ModelPackageName: arn(v) },
        ExecutionRoleArn: 'arn:aws:iam::123456789012:role/sm',
      }),
    );
  }
  await admin.send(
    new CreateEndpointConfigCommand({
      EndpointConfigName: 'credit-prod-config',
      ProductionVariants: [perGroup, perGroup - 1].map((v) => ({
        VariantName: `v${v}`,
        ModelName: `credit-v${v}`,
        InitialInstanceCount: 1,
        InstanceType: 'ml.m5.large',
      })),
    }),
  );
  await admin.send(
    new CreateEndpointCommand({ EndpointName: 'credit-prod', EndpointConfigName: 'credit-prod-config' }),
  );
}
