// What the review desk's views share (web/src/staff.ts, staff_search.ts, staff_approvals.ts): the API
// client, the Japanese for a refusal, table rows and links, the notice carried to the next screen, the
// orderers' names, and the answers of the four eyes, the search and the lock, typed by hand where
// web/src/api.d.ts does not have them yet.
import { Api, ApiError, errorJa, h, loadConfig, message, wareki, yen, type Schemas } from "./common";
import { ERROR_MESSAGES } from "./error_messages";

export const FRONT = "staff";
export const api = new Api(FRONT);

// ------------------------------------------------------------------ answers typed by hand

/** A staff decision waiting for a second member's approval (four eyes). */
// until api.d.ts has it
export interface Approval {
  approval_id: string;
  action: "issue" | "correct" | "terminate";
  status: "pending" | "approved" | "returned";
  application_id: string | null;
  contract_number: string | null;
  version: number | null;
  summary?: ApprovalSummary | null;
  request?: Record<string, unknown> | null;
  decided_by: string | null;
  decided_by_name?: string | null;
  decided_at: string | null;
  approved_by?: string | null;
  approved_by_name?: string | null;
  approved_at?: string | null;
  return_reason?: string | null;
  result?: Record<string, unknown> | null;
}

// until api.d.ts has it
export interface ApprovalSummary {
  contractor_name?: string | null;
  work_name?: string | null;
  guarantee_amount?: number | null;
  guarantee_deadline?: string | null;
  label?: string | null;
  product_label?: string | null;
  orderer_name?: string | null;
}

// until api.d.ts has it
export interface Approvals {
  items: Approval[];
  next_cursor: string | null;
}

/** A change as it was decided: from the version it was applied to, to the version it made. */
// until api.d.ts has it
export interface DecidedChange {
  from_label: string;
  to_label: string;
  fields: { field: string; label: string; before: unknown; after: unknown }[];
}

// until api.d.ts has it
export interface FeeEstimate {
  fee: number;
  days: number;
  table_name: string;
}

/** The verification lock on a contract number (wrong keys in a row). */
// until api.d.ts has it
export interface ContractLock {
  locked: boolean;
  attempts: number;
  budget: number;
  since: string | null;
  until: string | null;
}

/** One row of GET /staff/contracts. */
// until api.d.ts has it
export interface StaffContractRow {
  contract_number: string;
  issuer?: Schemas["IssuerRef"] | null;
  product: string;
  product_label: string;
  company_id: string;
  contractor_name: string | null;
  work_name: string | null;
  orderer_id: string | null;
  orderer_name: string | null;
  branch_code: string | null;
  branch_name: string | null;
  guarantee_amount: number | null;
  guarantee_deadline: string | null;
  status: string | null;
  status_label: string | null;
  label: string | null;
  created_at: string | null;
  pending_change: boolean;
}

// until api.d.ts has it
export interface StaffContractRows {
  items: StaffContractRow[];
  next_cursor: string | null;
}

/** The staff application with what the review desk adds to it (names, the fee, the decided change, four eyes). */
export type StaffApplication = Schemas["StaffApplication"] & {
  // until api.d.ts has it
  decided_change?: DecidedChange | null;
  fee_estimate?: FeeEstimate | null;
  pending_approval?: Approval | null;
  decided_by_name?: string | null;
  orderer_name?: string | null;
  contractor_name?: string | null;
  reference?: string | null; // the 申込番号 as read over the phone (3F9A-21C7)
};

export type StaffContract = Schemas["StaffContract"] & {
  // until api.d.ts has it
  lock?: ContractLock | null;
  pending_approval?: Approval | null;
};

/** A queue row with the names beside the ids. */
export type QueueRow = Schemas["QueueRow"] & {
  // until api.d.ts has it
  orderer_name?: string | null;
  decided_by_name?: string | null;
};

/** Did the API take the action at once, or record it for a second member's approval (202 with an Approval)? */
export function isApproval(answer: unknown): answer is Approval {
  return typeof answer === "object" && answer !== null && typeof (answer as { approval_id?: unknown }).approval_id === "string";
}

// ------------------------------------------------------------------ refusals in Japanese

/** The codes of the four eyes and the lock, until web/src/error_messages.ts (generated) has them. */
const STAFF_CODES: Record<string, string> = {
  own_decision_not_approvable: "ご自身が決定した操作は承認できません。別の職員に承認を依頼してください。",
  approval_not_pending: "この決定はすでに承認または差し戻しされています。",
  approval_pending: "この申込・保証契約には承認待ちの決定があります。承認または差し戻しの後に操作してください。",
  reason_required: "理由を入力してください。",
  not_a_status: "状態の指定が正しくありません。",
};

export function codeText(code: string | null | undefined): string | null {
  if (!code) return null;
  if (Object.hasOwn(ERROR_MESSAGES, code)) return errorJa(code);
  return STAFF_CODES[code] ?? null;
}

const JAPANESE = /[\u3040-\u30ff\u3400-\u9fff]/;

/** What the screen says about a failed call: the code's Japanese, else the API's (Japanese) message,
 * else a sentence by status — never an English message from somewhere on the way. */
export function errorText(error: unknown): string {
  if (!(error instanceof ApiError)) {
    const text = error instanceof Error ? error.message : String(error);
    return JAPANESE.test(text) ? text : "通信できませんでした。時間をおいてもう一度お試しください。";
  }
  const byCode = codeText(error.code);
  if (byCode) return error.status === 409 && JAPANESE.test(error.message) && error.message !== byCode ? `${error.message}（${byCode}）` : byCode;
  if (error.errors.length) return error.errors.map((p) => errorJa(p.code)).join(" ");
  if (JAPANESE.test(error.message)) return error.message;
  if (error.status === 404) return "該当する情報が見つかりません。";
  if (error.status === 403) return errorJa("forbidden");
  return `エラーが発生しました（${error.status}）。時間をおいてもう一度お試しください。`;
}

// ------------------------------------------------------------------ small pieces of screens

export function row(label: string, value: string | Node | null | undefined): HTMLElement {
  return h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, value ?? "—"));
}

export function link(url: string, text: string, label?: string): HTMLElement {
  return h("a", { href: url, target: "_blank", rel: "noopener", "aria-label": label }, text);
}

export const appHref = (id: string) => `#/applications/${encodeURIComponent(id)}`;
export const contractHref = (n: string) => `#/contracts/${encodeURIComponent(n)}`;
export const approvalHref = (id: string) => `#/approvals/${encodeURIComponent(id)}`;

/** A person by name; a decision recorded before names were: 「（記録なし）」, never a bare id. */
export function personName(name: string | null | undefined): string {
  return name && name.trim() ? name : "（記録なし）";
}

let nextNotice: HTMLElement | null = null;

/** A message for the next screen shown (after an action, the screen is drawn again with its outcome). */
export function setNotice(text: string | HTMLElement, kind: "error" | "info" = "info"): void {
  nextNotice = typeof text === "string" ? message(text, kind) : text;
}

export function takeNotice(): HTMLElement | null {
  const notice = nextNotice;
  nextNotice = null;
  return notice;
}

/** A field's value as people read it: amounts in yen, ISO dates in 令和. */
export function valueText(value: unknown, field = ""): string {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "number") return /amount|price|fee/.test(field) || value >= 10000 ? yen(value) : String(value);
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}/.test(value)) return wareki(value);
  if (typeof value === "boolean") return value ? "あり" : "なし";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** The fields of an application or a correction, by the API's field path, as the screens name them. */
export const FIELD_LABELS: Record<string, string> = {
  "work.name": "工事名", "work.kind": "種別", "work.contract_price": "請負金額", "work.contract_date": "請負契約日",
  "work.period_start": "工期（自）", "work.period_end": "工期（至）",
  "guarantee.amount": "保証金額", "guarantee.deadline": "保証期限",
  "contractor.name": "保証契約者名", "contractor.address": "保証契約者の住所", "contractor.jv_name": "共同企業体名",
  deposit_bank: "預託金融機関", reason: "理由", kind: "種類", date: "日付",
};

/** The change a decision made: 新規 → 変更ー1, and each field before → after. */
export function decidedChangeTable(change: DecidedChange | null | undefined, id = "decided-change"): HTMLElement | null {
  if (!change) return null;
  return h("table", { class: "list", id },
    h("caption", {}, `決定した変更：${change.from_label} → ${change.to_label}`),
    h("thead", {}, h("tr", {}, ...["項目", "変更前", "変更後"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...change.fields.map((f) => h("tr", { class: "changed" },
      h("th", { scope: "row" }, f.label || FIELD_LABELS[f.field] || f.field),
      h("td", {}, valueText(f.before, f.field)), h("td", {}, valueText(f.after, f.field))))));
}

// ------------------------------------------------------------------ the orderers' registry

/** The orderers by id (GET /orderers, public): the screens name them, not their ids. */
let orderers: Promise<Schemas["Orderer"][]> | null = null;

export function loadOrderers(): Promise<Schemas["Orderer"][]> {
  orderers ??= (async () => {
    const cfg = await loadConfig();
    const response = await fetch(cfg.apiUrl.replace(/\/$/, "") + "/orderers");
    if (!response.ok) return [];
    return ((await response.json()) as { orderers?: Schemas["Orderer"][] }).orderers ?? [];
  })().catch(() => []);
  return orderers;
}

let ordererNames: Record<string, string> = {};
let beneficiaries: Record<string, string> = {};

export async function readOrdererNames(): Promise<void> {
  const registry = await loadOrderers();
  ordererNames = Object.fromEntries(registry.map((o) => [o.orderer_id, o.name]));
  beneficiaries = Object.fromEntries(registry.map((o) => [o.orderer_id, o.beneficiary_name]));
}

/** 被保証者 as the certificate names it (the registry's beneficiary name), else the orderer's name. */
export function beneficiaryName(id: string | null | undefined, fallback: string | null | undefined): string {
  return (id && beneficiaries[id]) || ordererName(fallback, id);
}

/** An orderer by name: the answer's own name, else the registry's, else 「—」 (never an id alone). */
export function ordererName(name: string | null | undefined, id: string | null | undefined): string {
  return name || (id ? ordererNames[id] ?? id : "—");
}

/** Make a control busy while an action runs: disabled, its text saying what happens, aria-busy on its region. */
export function busy(button: HTMLButtonElement, region: HTMLElement, text: string): () => void {
  const before = button.textContent;
  button.disabled = true;
  button.textContent = text;
  region.setAttribute("aria-busy", "true");
  return () => {
    button.disabled = false;
    button.textContent = before;
    region.removeAttribute("aria-busy");
  };
}
