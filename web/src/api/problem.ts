// RFC 9457 problem details, as every service answers an error. No imports from the app here, so
// both the HTTP wrapper and the session store can use it without an import cycle. ElMessage is
// imported by unplugin-auto-import (vite.config.ts), which brings the message's styles with it.

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
    this.name = "ApiError";
  }
  get title(): string { return this.problem.title; }
  get detail(): string { return this.problem.detail; }
  get code(): string { return this.problem.code; }
}

// Chinese wording for errors that do not come as problem+json (the proxy's own 502/504, a network error).
const FALLBACK_TITLES: Record<number, string> = {
  0: "无法连接服务器，请检查网络",
  400: "请求有误",
  401: "登录已失效，请重新登录",
  403: "没有权限执行此操作",
  404: "请求的资源不存在",
  413: "上传的文件过大",
  429: "请求过于频繁，请稍后再试",
  500: "服务内部错误",
  502: "服务暂不可用，请稍后再试",
  503: "服务暂不可用，请稍后再试",
  504: "服务响应超时，请稍后再试",
};

export function fallbackProblem(status: number): Problem {
  const title = FALLBACK_TITLES[status] ?? (status >= 500 ? "服务暂不可用，请稍后再试" : "请求失败");
  return { type: "about:blank", title, status, detail: "", code: status ? "http_error" : "network_error" };
}

export async function toApiError(response: Response): Promise<ApiError> {
  const fallback = fallbackProblem(response.status);
  const type = response.headers.get("Content-Type") ?? "";
  if (type.includes("json")) {
    try {
      const body = (await response.json()) as Partial<Problem> & { detail?: unknown };
      // FastAPI's own errors may carry a non-string detail; keep only text to show.
      const detail = typeof body.detail === "string" ? body.detail : "";
      return new ApiError(response.status, {
        ...fallback, ...body, detail, title: body.title || fallback.title, status: response.status,
      });
    } catch {
      /* not JSON after all: fall through */
    }
  }
  return new ApiError(response.status, fallback);
}

export function networkError(): ApiError {
  return new ApiError(0, fallbackProblem(0));
}

/** The text to show a person for any error: the problem's detail (else its title), followed by
 * the first field messages when the detail does not already say them. */
export function errorText(exc: unknown, fallback = "操作失败"): string {
  if (exc instanceof ApiError) {
    const text = exc.detail || exc.title || fallback;
    const fields = (exc.problem.errors ?? []).map((e) => e.msg).filter((msg) => msg && !text.includes(msg));
    return fields.length ? `${text}：${fields.slice(0, 3).join("；")}` : text;
  }
  if (exc instanceof Error && exc.message) return exc.message;
  return fallback;
}

/** Show an error as an ElMessage (detail, fallback title). */
export function notifyError(exc: unknown, fallback = "操作失败"): void {
  ElMessage.error({ message: errorText(exc, fallback), grouping: true });
}
