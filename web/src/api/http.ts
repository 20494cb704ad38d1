// A small fetch wrapper: bearer token, problem+json errors (RFC 9457), session expiry.
import { useSession } from "../stores/session";
import { router } from "../router";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: { loc: (string | number)[]; msg: string; type: string }[];
}

export class ApiError extends Error {
  constructor(public readonly status: number, public readonly problem: Problem) {
    super(problem.detail || problem.title);
  }
}

export interface Page<T> {
  items: T[];
  total: number;
}

async function toError(response: Response): Promise<ApiError> {
  let problem: Problem;
  try {
    problem = (await response.json()) as Problem;
  } catch {
    problem = {
      type: "about:blank", title: "请求失败", status: response.status,
      detail: `服务返回 ${response.status}`, code: "http_error",
    };
  }
  return new ApiError(response.status, problem);
}

export async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const session = useSession();
  const headers = new Headers(init.headers);
  if (session.token) headers.set("Authorization", `Bearer ${session.token}`);
  const response = await fetch(path, { ...init, headers });
  if (response.status === 401 && session.token) {
    session.logout();
    await router.push({ name: "login", query: { expired: "1" } });
  }
  if (!response.ok) throw await toError(response);
  return (await response.json()) as T;
}

export async function download(path: string, filename: string): Promise<void> {
  const session = useSession();
  const response = await fetch(path, { headers: { Authorization: `Bearer ${session.token}` } });
  if (!response.ok) throw await toError(response);
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.click();
  URL.revokeObjectURL(url);
}

export async function upload<T>(path: string, form: FormData): Promise<T> {
  return request<T>(path, { method: "POST", body: form });
}

export const api = {
  get: <T>(path: string, params?: Record<string, string | number | undefined>) => {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params ?? {})) {
      if (value !== undefined && value !== "") query.set(key, String(value));
    }
    const suffix = query.toString() ? `?${query}` : "";
    return request<T>(`${path}${suffix}`);
  },
  post: <T>(path: string, body: unknown) =>
    request<T>(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    }),
};
