// 申诉 (issue #26): an appeal of a dissatisfied visit, as GET /api/hotline/v1/appeals lists it.
export interface AppealFile { id: number; filename: string; content_type: string; size_bytes: number; scan_status: string; uploaded_at: string }
export interface Appeal { id: number; order_no: string; unit_code: string; visited_at: string; reason: string; evidence: string;
  files: AppealFile[];
  status: "pending" | "upheld" | "overturned"; created_by: string; created_at: string; decided_by: string | null;
  decided_at: string | null; decision_reason: string | null; appeal_deadline: string | null }

export const APPEAL_STATUS: Record<string, string> = { pending: "待复核", upheld: "维持", overturned: "已改判" };
