// Configuration: one build serves the local and the deployed stack. At start the page fetches
// /amplify_outputs.json (written by the local stack or by the CDK deployment) and configures Amplify.
import { Amplify } from 'aws-amplify';
import { ConsoleLogger } from 'aws-amplify/utils';
import type { ResourcesConfig } from 'aws-amplify';
import { installLoopbackWebSocket, isLoopbackHttp } from './localRealtime';

export type AuthFlowType = 'USER_PASSWORD_AUTH' | 'USER_SRP_AUTH';

export interface AmplifyOutputs {
  version?: string;
  data: {
    url: string;
    api_key?: string;
    aws_region: string;
    default_authorization_type: string;
    authorization_types?: string[];
  };
  auth?: { user_pool_id: string; user_pool_client_id: string; aws_region: string };
  custom?: { aws_endpoint_url?: string; auth_flow_type?: string; customerSms?: boolean; [key: string]: unknown };
  [key: string]: unknown;
}

export interface AppConfig {
  outputs: AmplifyOutputs;
  /** data.url is plain http on a loopback host: the local stack. */
  local: boolean;
  /** Cognito sign-in flow: USER_PASSWORD_AUTH locally (moto), SRP when deployed unless overridden. */
  authFlowType: AuthFlowType;
  graphqlUrl: string;
  apiKey: string | undefined;
  /** custom.customerSms (cdk_app/outputs.py): the stage texts customers, so the pages offer SMS. */
  customerSms: boolean;
}

let pending: Promise<AppConfig> | undefined;

export function loadConfig(): Promise<AppConfig> {
  pending ??= load();
  return pending;
}

async function load(): Promise<AppConfig> {
  const response = await fetch('/amplify_outputs.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`Could not load the app configuration (HTTP ${response.status}).`);
  const outputs = (await response.json()) as AmplifyOutputs;
  if (!outputs?.data?.url) throw new Error('The app configuration has no data.url.');
  // Amplify only recognises the outputs format by its version field.
  const withVersion = { ...outputs, version: outputs.version ?? '1' };
  Amplify.configure(withVersion as Parameters<typeof Amplify.configure>[0]);

  const dataUrl = new URL(outputs.data.url, window.location.href);
  const local = isLoopbackHttp(dataUrl);
  const endpoint = outputs.custom?.aws_endpoint_url;
  if (endpoint) {
    // Amplify warns on every configure that a custom Cognito endpoint is in use: expected here.
    ConsoleLogger.LOG_LEVEL = 'ERROR';
    // Amplify Auth reaches a local Cognito only through userPoolEndpoint.
    const current = Amplify.getConfig();
    const cognito = current.Auth?.Cognito;
    if (cognito) {
      Amplify.configure({
        ...current,
        Auth: { ...current.Auth, Cognito: { ...cognito, userPoolEndpoint: endpoint } },
      } as ResourcesConfig);
    }
  }
  if (local) installLoopbackWebSocket(dataUrl);

  const override = outputs.custom?.auth_flow_type;
  const authFlowType: AuthFlowType =
    override === 'USER_PASSWORD_AUTH' || override === 'USER_SRP_AUTH'
      ? override
      : local
        ? 'USER_PASSWORD_AUTH'
        : 'USER_SRP_AUTH';
  return {
    outputs,
    local,
    authFlowType,
    graphqlUrl: dataUrl.toString(),
    apiKey: outputs.data.api_key,
    customerSms: outputs.custom?.customerSms === true,
  };
}
