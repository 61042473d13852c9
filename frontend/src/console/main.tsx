// /console: GraphiQL (npm, bundled) against this stack's /graphql, as the API key (customer) or a
// signed-in staff user. Queries and mutations are plain POSTs so the raw AppSync response (with
// errorType) is shown; subscriptions go through Amplify's API client, i.e. the AppSync real-time
// protocol, exactly as the pages use it.
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import './console.css';
import { GraphiQL } from 'graphiql';
import { Kind, parse, print } from 'graphql';
import type { DefinitionNode, DocumentNode, OperationDefinitionNode } from 'graphql';
import { StrictMode, useCallback, useEffect, useMemo, useState } from 'react';
import type { ComponentProps, FormEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { fetchAuthSession, getCurrentUser, signIn, signOut } from 'aws-amplify/auth';
import { generateClient } from 'aws-amplify/api';
import { loadConfig } from '../config';
import type { AppConfig } from '../config';
import { EXAMPLES } from './examples';

type Mode = 'apiKey' | 'userPool';
type Result = { data?: unknown; errors?: unknown[] };
type Observer = { next(value: Result): void; error(e: unknown): void; complete(): void };

function selectOperation(query: string, operationName?: string | null): { doc: DocumentNode; op?: OperationDefinitionNode } {
  const doc = parse(query);
  const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const op = operationName ? ops.find((o) => o.name?.value === operationName) : ops[0];
  return { doc, op };
}

async function authHeaders(config: AppConfig, mode: Mode): Promise<Record<string, string>> {
  if (mode === 'apiKey') return config.apiKey ? { 'x-api-key': config.apiKey } : {};
  const session = await fetchAuthSession();
  const token = session.tokens?.accessToken?.toString();
  return token ? { Authorization: token } : {};
}

function makeFetcher(config: AppConfig, mode: Mode) {
  const client = generateClient() as unknown as {
    graphql(o: { query: string; variables?: unknown; authMode: Mode }): { subscribe(o: Observer): { unsubscribe(): void } };
  };
  return async (params: { query: string; operationName?: string | null; variables?: unknown }, opts?: { headers?: Record<string, unknown> }) => {
    let selected;
    try {
      selected = selectOperation(params.query, params.operationName);
    } catch {
      selected = undefined; // let the server report the syntax error, as AppSync would
    }
    if (selected?.op?.operation === 'subscription') {
      const definitions: DefinitionNode[] = [selected.op, ...selected.doc.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION)];
      const query = print({ kind: Kind.DOCUMENT, definitions });
      return {
        subscribe(observer: Observer) {
          const subscription = client.graphql({ query, variables: params.variables ?? {}, authMode: mode }).subscribe({
            next: (value) => observer.next({ data: value.data }),
            error: (e) => {
              const errors = (e as { errors?: unknown[] })?.errors ?? [{ message: String((e as Error)?.message ?? e) }];
              observer.next({ errors });
              observer.complete();
            },
            complete: () => observer.complete(),
          });
          return { unsubscribe: () => subscription.unsubscribe() };
        },
      };
    }
    const extra: Record<string, string> = {};
    for (const [key, value] of Object.entries(opts?.headers ?? {})) extra[key] = String(value);
    const response = await fetch(config.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(await authHeaders(config, mode)), ...extra },
      body: JSON.stringify({ query: params.query, variables: params.variables ?? null, operationName: params.operationName ?? null }),
    });
    const text = await response.text();
    try {
      return JSON.parse(text) as Result;
    } catch {
      return { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 500)}` }] };
    }
  };
}

function StaffSignIn({ config, onSignedIn }: { config: AppConfig; onSignedIn: (who: string) => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      const result = await signIn({ username, password, options: { authFlowType: config.authFlowType } });
      if (result.isSignedIn) onSignedIn(username);
      else setError(`Sign-in needs another step (${result.nextStep.signInStep}); use the staff page.`);
    } catch (e) {
      if ((e as Error).name === 'UserAlreadyAuthenticatedException') onSignedIn(username);
      else setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="console-signin" onSubmit={submit}>
      <label htmlFor="c-user">Staff e-mail</label>
      <input id="c-user" type="email" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} />
      <label htmlFor="c-pass">Password</label>
      <input id="c-pass" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      <button type="submit" disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
      {error ? <span role="alert" className="console-error">{error}</span> : null}
    </form>
  );
}

function ConsoleApp({ config }: { config: AppConfig }) {
  const [mode, setMode] = useState<Mode>('apiKey');
  const [who, setWho] = useState<string | null>(null);
  useEffect(() => {
    getCurrentUser()
      .then((u) => setWho(u.signInDetails?.loginId ?? u.username))
      .catch(() => setWho(null));
  }, []);
  const effective: Mode = mode === 'userPool' && who ? 'userPool' : 'apiKey';
  const fetcher = useMemo(() => makeFetcher(config, effective), [config, effective]);
  const doSignOut = useCallback(async () => {
    await signOut();
    setWho(null);
  }, []);
  const tabs = EXAMPLES.map((e) => ({ query: e.query, variables: e.variables }));
  // A shared link can carry an operation: /console?query=…&variables=…
  const params = new URLSearchParams(window.location.search);
  const initialQuery = params.get('query') ?? undefined;
  const initialVariables = params.get('variables') ?? undefined;
  return (
    <div className="console-shell">
      <header className="console-bar">
        <h1>Pitstop GraphQL console{config.local ? ' (local)' : ''}</h1>
        <fieldset className="console-mode">
          <legend>Call as</legend>
          <label>
            <input type="radio" name="mode" value="apiKey" checked={mode === 'apiKey'} onChange={() => setMode('apiKey')} /> API key (customer)
          </label>
          <label>
            <input type="radio" name="mode" value="userPool" checked={mode === 'userPool'} onChange={() => setMode('userPool')} /> Staff (Cognito)
          </label>
        </fieldset>
        {mode === 'userPool' ? (
          who ? (
            <span className="console-who">
              Signed in as <strong>{who}</strong>{' '}
              <button type="button" onClick={doSignOut}>
                Sign out
              </button>
            </span>
          ) : (
            <StaffSignIn config={config} onSignedIn={setWho} />
          )
        ) : null}
        <span className="console-status" role="status" data-testid="console-mode">
          Using {effective === 'apiKey' ? 'the API key' : 'the staff token'} · {config.graphqlUrl}
        </span>
      </header>
      <main className="console-main">
        <GraphiQL
          key={effective}
          fetcher={fetcher as unknown as ComponentProps<typeof GraphiQL>['fetcher']}
          defaultTabs={tabs}
          initialQuery={initialQuery}
          initialVariables={initialVariables}
          defaultEditorToolsVisibility="variables"
          shouldPersistHeaders={false}
        >
          {/* No link out of the app: the default logo points to GitHub. */}
          <GraphiQL.Logo>Pitstop</GraphiQL.Logo>
        </GraphiQL>
      </main>
    </div>
  );
}

async function start(): Promise<void> {
  const rootEl = document.getElementById('console-root')!;
  try {
    const config = await loadConfig();
    createRoot(rootEl).render(
      <StrictMode>
        <ConsoleApp config={config} />
      </StrictMode>,
    );
  } catch (error) {
    rootEl.textContent = `The console could not start: ${(error as Error).message}`;
  }
}

void start();
