import { githubKinds } from '../connectors/github/kinds';
import { jiraKinds } from '../connectors/jira/kinds';
import { mlflowKinds } from '../connectors/mlflow/kinds';
import { s3Kinds } from '../connectors/s3/kinds';
import { siemKinds } from '../connectors/siem/kinds';

/**
 * Source types and the artifact kinds their connectors produce. Mapping files are checked against this,
 * so a typo in `kind: documnet` is an error at load time instead of a control that is silently missing.
 * `manual` is evidence only a person can supply (training records, signed contracts): rules on it keep
 * the control visible as `missing` until someone uploads it.
 */
export const sourceKinds: Record<string, readonly string[]> = {
  folder: ['document'],
  manual: ['record'],
  github: githubKinds,
  jira: jiraKinds,
  siem: siemKinds,
  mlflow: mlflowKinds,
  s3: s3Kinds,
};

export const knownSourceTypes = Object.keys(sourceKinds);
