// A small fetch wrapper: base '' (same origin, so Vite's proxy or nginx routes /api/*), bearer token,
// problem+json errors (RFC 9457) as a typed ApiError, and session expiry on 401.
import { useProgramme } from "../stores/programme";
import { useSession } from "../stores/session";
import { ApiError, networkError, toApiError } from "./problem";

export { ApiError, errorText, notifyError, toApiError, type Problem } from "./problem";

export interface Page<T> {
  items: T[];
  total: number;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

function withQuery(path: string, params?: Query): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value !== undefined && value !== null && value !== "") query.set(key, String(value));
  }
  const suffix = query.toString();
  return suffix ? `${path}${path.includes("?") ? "&" : "?"}${suffix}` : path;
}

/** The services whose data belongs to a programme (改革工程): their calls carry the one chosen. */
const PROGRAMME_SCOPED = ["/api/tasks/v1/", "/api/evaluation/v1/"];

/** `path` with `programme=<code>` when the user has chosen a programme (issue #21) and the call
 * does not name one itself (the admin's domain editor works on any programme). Without a choice
 * nothing is added and the services use their default, the programme covering today. */
function inProgramme(path: string, username: string): string {
  if (!PROGRAMME_SCOPED.some((prefix) => path.startsWith(prefix))) return path;
  const programme = useProgramme();
  programme.sync(username);
  if (!programme.chosen) return path;
  const query = path.includes("?") ? path.slice(path.indexOf("?") + 1) : "";
  if (new URLSearchParams(query).has("programme")) return path;
  return withQuery(path, { programme: programme.chosen });
}

/** fetch with the bearer token; a 401 ends the session. Returns the raw response (ok or not). */
export async function send(path: string, init: RequestInit = {}): Promise<Response> {
  const session = useSession();
  const headers = new Headers(init.headers);
  if (!headers.has("Accept")) headers.set("Accept", "application/json, application/problem+json");
  const token = session.token;
  if (token && !headers.has("Authorization")) headers.set("Authorization", `Bearer ${token}`);
  let response: Response;
  try {
    response = await fetch(inProgramme(path, session.me?.username ?? ""), { ...init, headers });
  } catch (exc) {
    if (exc instanceof DOMException && exc.name === "AbortError") throw exc;
    throw networkError();
  }
  // Only a 401 for the token still in use ends the session (a request sent just before a password
  // change carried the old one).
  if (response.status === 401 && token && session.token === token) session.expire();
  return response;
}

export async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await send(path, init);
  if (!response.ok) throw await toApiError(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** The file name the server gave (Content-Disposition, RFC 6266 filename* first), if any. */
function attachmentName(response: Response): string | null {
  const header = response.headers.get("Content-Disposition") ?? "";
  const encoded = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
  if (encoded) {
    try { return decodeURIComponent(encoded[1].trim()); } catch { /* a malformed name: fall back */ }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(header);
  return plain ? plain[1].trim() : null;
}

export async function download(path: string, filename: string): Promise<void> {
  const response = await send(path, { headers: { Accept: "*/*" } });
  if (!response.ok) throw await toApiError(response);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = attachmentName(response) ?? filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** POST a multipart form (files); `signal` lets the user give up on a slow upload. */
export async function upload<T>(path: string, form: FormData, signal?: AbortSignal): Promise<T> {
  return request<T>(path, { method: "POST", body: form, signal });
}

/** The request never reached the service or its answer never came back (no connection, a proxy's
 * 502/504, a service down): trying again later may work, and what the user typed must be kept. */
export function isConnectionProblem(exc: unknown): boolean {
  return exc instanceof ApiError ? exc.status === 0 || exc.status >= 500 : exc instanceof TypeError;
}

const json = (method: string, body: unknown, headers?: Record<string, string>): RequestInit => ({
  method,
  headers: { "Content-Type": "application/json", ...headers },
  body: body === undefined ? undefined : JSON.stringify(body),
});

export const api = {
  get: <T>(path: string, params?: Query) => request<T>(withQuery(path, params)),
  post: <T>(path: string, body?: unknown, headers?: Record<string, string>) =>
    request<T>(path, json("POST", body, headers)),
  put: <T>(path: string, body?: unknown, headers?: Record<string, string>) =>
    request<T>(path, json("PUT", body, headers)),
  patch: <T>(path: string, body?: unknown, headers?: Record<string, string>) =>
    request<T>(path, json("PATCH", body, headers)),
  delete: <T>(path: string) => request<T>(path, { method: "DELETE" }),
};
