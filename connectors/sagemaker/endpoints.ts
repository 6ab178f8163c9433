import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  ListEndpointsCommand,
} from '@aws-sdk/client-sagemaker';
import { z } from 'zod';
import { canonicalJson } from '../../core/digest';
import type { JsonValue } from '../../core/json';
import { codeUnitOrder } from '../../core/order';
import { abortable, type SagemakerCalls } from './aws-calls';
import { parsePackageArn, type PackageInfo } from './package-info';

/** One endpoint and the model packages its production variants run, as kept between runs. */
export const endpointInfoSchema = z.object({
  name: z.string(),
  arn: z.string().optional(),
  status: z.string().optional(),
  /** `LastModifiedTime` from ListEndpoints: unchanged means the endpoint's config (and models) did not change. */
  modifiedAt: z.number().optional(),
  config: z.string().optional(),
  variants: z.array(
    z.object({
      variant: z.string(),
      model: z.string().optional(),
      /** Model package ARNs (or unversioned package names) the variant's model containers run. */
      packages: z.array(z.string()),
    }),
  ),
});
export type EndpointInfo = z.infer<typeof endpointInfoSchema>;

/**
 * Lists endpoints and finds the model packages each serves (endpoint → endpoint config → model →
 * container `ModelPackageName`). An endpoint whose `LastModifiedTime` and status are unchanged since the last
 * run is taken from the previous state: three Describe calls per endpoint are spent only on changed ones.
 */
export async function resolveEndpoints(
  calls: SagemakerCalls,
  previous: Record<string, EndpointInfo>,
  signal: AbortSignal | undefined,
): Promise<EndpointInfo[]> {
  const out: EndpointInfo[] = [];
  let token: string | undefined;
  do {
    const page = await calls.send('ListEndpoints', (c) =>
      c.send(new ListEndpointsCommand({ MaxResults: 100, NextToken: token }), abortable(signal)),
    );
    for (const e of page.Endpoints ?? []) {
      const name = e.EndpointName ?? '';
      const modifiedAt = e.LastModifiedTime?.getTime();
      const prev = previous[name];
      if (prev && prev.modifiedAt === modifiedAt && prev.status === e.EndpointStatus) {
        out.push(prev);
        continue;
      }
      out.push(await describeEndpoint(calls, name, modifiedAt, signal));
    }
    token = page.NextToken;
  } while (token);
  return out.sort((a, b) => codeUnitOrder(a.name, b.name));
}

async function describeEndpoint(
  calls: SagemakerCalls,
  name: string,
  modifiedAt: number | undefined,
  signal: AbortSignal | undefined,
): Promise<EndpointInfo> {
  const opt = <K extends string, V>(k: K, v: V | undefined) => (v !== undefined ? { [k]: v } : {});
  const ep = await calls.send('DescribeEndpoint', (c) =>
    c.send(new DescribeEndpointCommand({ EndpointName: name }), abortable(signal)),
  );
  const base = {
    name,
    ...opt('arn', ep.EndpointArn),
    ...opt('status', ep.EndpointStatus),
    ...opt('modifiedAt', modifiedAt ?? ep.LastModifiedTime?.getTime()),
    ...opt('config', ep.EndpointConfigName),
  };
  if (!ep.EndpointConfigName) return { ...base, variants: [] };
  const cfg = await calls.sendOrUndefined('DescribeEndpointConfig', (c) =>
    c.send(new DescribeEndpointConfigCommand({ EndpointConfigName: ep.EndpointConfigName }), abortable(signal)),
  );
  const variants: EndpointInfo['variants'] = [];
  for (const v of cfg?.ProductionVariants ?? []) {
    const model = v.ModelName
      ? await calls.sendOrUndefined('DescribeModel', (c) =>
          c.send(new DescribeModelCommand({ ModelName: v.ModelName }), abortable(signal)),
        )
      : undefined;
    const containers = [...(model?.PrimaryContainer ? [model.PrimaryContainer] : []), ...(model?.Containers ?? [])];
    variants.push({
      variant: v.VariantName ?? '',
      ...opt('model', v.ModelName),
      packages: [...new Set(containers.map((c) => c.ModelPackageName).filter((p): p is string => !!p))].sort(),
    });
  }
  return { ...base, variants };
}

/** Package ARN → endpoints serving it (the `endpoint:<name>` aliases of its version). */
export function endpointsByPackage(endpoints: EndpointInfo[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const e of endpoints) {
    if (e.status !== undefined && ['OutOfService', 'Failed', 'Deleting'].includes(e.status)) continue;
    for (const p of new Set(e.variants.flatMap((v) => v.packages))) map.set(p, [...(map.get(p) ?? []), e.name]);
  }
  return map;
}

/**
 * The `deployed-endpoint` record: which model package versions an endpoint serves and their approval status
 * now. `unapprovedPackages` lists served packages whose status is not `Approved` (or that were not collected:
 * a group outside `modelPackageGroups`, an unversioned package), the condition the default pack flags.
 */
export function endpointRecord(
  e: EndpointInfo,
  infos: Record<string, PackageInfo>,
): { attributes: Record<string, JsonValue>; body: string } {
  const packages = [...new Set(e.variants.flatMap((v) => v.packages))].sort();
  const served = packages.map((p) => {
    const info = infos[p];
    const parsed = parsePackageArn(p);
    return {
      package: p,
      modelVersion: info ? `${info.group}/${info.version}` : parsed ? `${parsed.group}/${parsed.version}` : null,
      approvalStatus: info?.approvalStatus ?? null,
    };
  });
  const unapproved = served.filter((s) => s.approvalStatus !== 'Approved');
  const attributes: Record<string, JsonValue> = {
    registry: 'sagemaker',
    endpoint: e.name,
    status: e.status ?? null,
    inService: e.status === 'InService',
    modelVersions: served.map((s) => s.modelVersion).filter((m): m is string => m !== null),
    packages: served,
    unapprovedPackages: unapproved.map((s) => s.modelVersion ?? s.package),
    allPackagesApproved: packages.length > 0 && unapproved.length === 0,
    servesRegisteredPackage: packages.length > 0,
  };
  return { attributes, body: canonicalJson({ attributes, endpoint: e as unknown as JsonValue }) };
}
