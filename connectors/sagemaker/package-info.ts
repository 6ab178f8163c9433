import type { DescribeModelPackageCommandOutput, ModelPackageSummary, UserContext } from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import { fingerprint } from '../../core/digest';

/**
 * What the connector keeps of one model package (`DescribeModelPackage`), normalized: recorded as the
 * version's registry answer and carried in the source state, so an unchanged package is not described again.
 */
export const packageInfoSchema = z.object({
  /** Fingerprint of the package's listing entry when it was described (see `listingKey`). */
  key: z.string(),
  arn: z.string(),
  group: z.string(),
  version: z.string(),
  approvalStatus: z.string(),
  status: z.string().optional(),
  description: z.string().optional(),
  approvalDescription: z.string().optional(),
  createdAt: z.number().optional(),
  createdBy: z.string().optional(),
  modifiedAt: z.number().optional(),
  modifiedBy: z.string().optional(),
  metadata: z.record(z.string(), z.string()),
  /** `InferenceSpecification`: container images, model data and what it may run on. */
  inference: z.object({
    containers: z.array(z.object({ image: z.string().optional(), modelDataUrl: z.string().optional() })),
    instanceTypes: z.array(z.string()),
    contentTypes: z.array(z.string()),
  }),
  /** `ModelMetrics` report references: `ModelQuality.Statistics` → S3 URI. */
  metricsReports: z.record(z.string(), z.string()),
  /** The inline `ModelCard`: its status and size (its content is read again when the card is collected). */
  card: z.object({ status: z.string().optional(), size: z.number() }).optional(),
  sourceUri: z.string().optional(),
});
export type PackageInfo = z.infer<typeof packageInfoSchema>;

/**
 * What `ListModelPackages` says about a package. SageMaker's listing has no modification time, so a change the
 * listing does not show (customer metadata edited without an approval change) is seen only when the package
 * is described again: after an approval change, or when the source's settings change.
 */
export function listingKey(s: ModelPackageSummary): string {
  return fingerprint(
    {
      a: s.ModelApprovalStatus ?? null,
      s: s.ModelPackageStatus ?? null,
      d: s.ModelPackageDescription ?? null,
      c: s.CreationTime?.getTime() ?? null,
    },
    32,
  );
}

/** `arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>` → group and version. */
export function parsePackageArn(arn: string): { group: string; version: string } | undefined {
  const m = /:model-package\/([^/]+)\/(\d+)$/.exec(arn);
  return m ? { group: m[1]!, version: m[2]! } : undefined;
}

function user(u: UserContext | undefined): string | undefined {
  return u?.UserProfileName ?? u?.IamIdentity?.Arn;
}

/** Flattens `ModelMetrics` to `<Section>.<Report>` → S3 URI (the reports themselves stay in S3). */
function metricsReports(m: DescribeModelPackageCommandOutput['ModelMetrics']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [section, reports] of Object.entries(m ?? {})) {
    for (const [report, source] of Object.entries((reports ?? {}) as Record<string, { S3Uri?: string } | undefined>)) {
      if (source?.S3Uri) out[`${section}.${report}`] = source.S3Uri;
    }
  }
  return out;
}

export function packageInfoFrom(key: string, d: DescribeModelPackageCommandOutput): PackageInfo {
  const arn = d.ModelPackageArn ?? '';
  const parsed = parsePackageArn(arn);
  const spec = d.InferenceSpecification;
  const opt = <K extends string, V>(k: K, v: V | undefined) => (v !== undefined ? { [k]: v } : {});
  return {
    key,
    arn,
    group: d.ModelPackageGroupName ?? parsed?.group ?? '',
    version: String(d.ModelPackageVersion ?? parsed?.version ?? ''),
    approvalStatus: d.ModelApprovalStatus ?? 'None',
    ...opt('status', d.ModelPackageStatus),
    ...opt('description', d.ModelPackageDescription),
    ...opt('approvalDescription', d.ApprovalDescription),
    ...opt('createdAt', d.CreationTime?.getTime()),
    ...opt('createdBy', user(d.CreatedBy)),
    ...opt('modifiedAt', d.LastModifiedTime?.getTime()),
    ...opt('modifiedBy', user(d.LastModifiedBy)),
    metadata: { ...(d.CustomerMetadataProperties ?? {}) },
    inference: {
      containers: (spec?.Containers ?? []).map((c) => ({
        ...opt('image', c.Image),
        ...opt('modelDataUrl', c.ModelDataUrl),
      })),
      instanceTypes: [...(spec?.SupportedRealtimeInferenceInstanceTypes ?? [])],
      contentTypes: [...(spec?.SupportedContentTypes ?? [])],
    },
    metricsReports: metricsReports(d.ModelMetrics),
    ...(d.ModelCard?.ModelCardContent !== undefined
      ? {
          card: {
            ...opt('status', d.ModelCard.ModelCardStatus),
            size: Buffer.byteLength(d.ModelCard.ModelCardContent, 'utf8'),
          },
        }
      : {}),
    ...opt('sourceUri', d.SourceUri),
  };
}
