// The review desk (保証会社職員): the queue with filters and paging; an application in full before
// deciding (発行 / 却下 with a confirmation); a contract by number with every record (hidden ones
// marked), 訂正, 変更取消, 解約 / 保証債務履行請求, 認証キーの再発行 and the audit trail.
// Views are chosen by the address's fragment (#/queue, #/applications/<id>, #/contracts/<number>).
import "./style.css";
import {
  APPLICATION_KIND, APPLICATION_STATUS, Api, ApiError, boot, claims, errorJa, clearFieldErrors, confirmDialog, endingText, h, input,
  labelCells, message, nav, productLabel, session, show, showFieldErrors, signIn, statusBadge, textArea,
  wareki, yen, type Schemas,
} from "./common";
import { DEFAULT_ISSUER_ID, branchName, issuerOf, issuerText, loadIssuers, type IssuerEntry } from "./issuers";

const FRONT = "staff";
const api = new Api(FRONT);

function errorText(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  return error.status === 409 && error.code ? `${error.message}（${errorJa(error.code)}）` : error.message;
}

function row(label: string, value: string | Node | null | undefined): HTMLElement {
  return h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, value ?? "—"));
}

function link(url: string, text: string, label?: string): HTMLElement {
  return h("a", { href: url, target: "_blank", rel: "noopener", "aria-label": label }, text);
}

const appHref = (id: string) => `#/applications/${encodeURIComponent(id)}`;
const contractHref = (n: string) => `#/contracts/${encodeURIComponent(n)}`;

// ------------------------------------------------------------------ the queue

interface Change {
  guarantee?: { amount?: number | null; deadline?: string | null };
  work?: { period_start?: string | null; period_end?: string | null; contract_price?: number | null };
}

interface Queued {
  application_id: string;
  kind: string;
  status: string;
  company_id: string;
  submitted_at: string;
  product?: string;
  format?: string;
  orderer_id?: string;
  contractor_name?: string;
  work_name?: string;
  guarantee_amount?: number;
  reject_reason: string | null;
  contract_number?: string | null;
  change?: Change;
  reason?: string;
  decided_by?: string | null;
}

const STATUSES: [string, string][] = [["submitted", "審査待ち"], ["issued", "発行済み"], ["rejected", "却下"]];
const KINDS: [string, string][] = [["", "すべて"], ["new", "新規"], ["change", "変更"], ["interim", "中間前払金"]];
const PAGE = 20;

/** What a change asks for, in the screens' words. */
function changeText(change: Change | undefined): string {
  if (!change) return "—";
  const parts: string[] = [];
  const g = change.guarantee ?? {}, w = change.work ?? {};
  if (g.amount != null) parts.push(`保証金額 ${yen(g.amount)}`);
  if (g.deadline) parts.push(`保証期限 ${wareki(g.deadline)}`);
  if (w.period_start) parts.push(`工期（自）${wareki(w.period_start)}`);
  if (w.period_end) parts.push(`工期（至）${wareki(w.period_end)}`);
  if (w.contract_price != null) parts.push(`請負金額 ${yen(w.contract_price)}`);
  return parts.join("、") || "—";
}

interface QueueState {
  status: string;
  kind: string;
  cursors: (string | null)[]; // the cursor of each page shown so far; the last is the current page's
}

let queueState: QueueState = { status: "submitted", kind: "", cursors: [null] };
let nextNotice: HTMLElement | null = null;

function takeNotice(): HTMLElement | null {
  const notice = nextNotice;
  nextNotice = null;
  return notice;
}

function contractSearch(): HTMLElement {
  const form = h("form", { class: "filters", id: "contract-search", role: "search" },
    h("p", { class: "field inline" }, h("label", { for: "search-number" }, "保証契約番号"),
      h("input", { id: "search-number", name: "number", autocomplete: "off", inputmode: "latin", placeholder: "31073-00001M" })),
    h("button", { type: "submit" }, "保証契約を開く"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = (form.querySelector("#search-number") as HTMLInputElement).value.trim();
    if (value) location.hash = contractHref(value);
  });
  return form;
}

async function queueView(state: QueueState = queueState): Promise<void> {
  queueState = state;
  const notice = takeNotice();
  const cursor = state.cursors[state.cursors.length - 1];
  const query = new URLSearchParams({ status: state.status, limit: String(PAGE) });
  if (cursor) query.set("cursor", cursor);
  if (state.kind) query.set("kind", state.kind); // filtered by the API, so each page is full
  const { applications, next_cursor } = await api.call<{ applications: Queued[]; next_cursor: string | null }>(
    "GET", `/staff/applications?${query}`);
  const rows = applications;

  const status = h("select", { id: "status-filter" }, ...STATUSES.map(([v, t]) => h("option", { value: v, selected: v === state.status }, t)));
  status.addEventListener("change", () => void queueView({ status: status.value, kind: state.kind, cursors: [null] }));
  const kind = h("select", { id: "kind-filter" }, ...KINDS.map(([v, t]) => h("option", { value: v, selected: v === state.kind }, t)));
  kind.addEventListener("change", () => void queueView({ status: state.status, kind: kind.value, cursors: [null] }));

  const page = state.cursors.length;
  const caption = `${STATUSES.find(([v]) => v === state.status)?.[1]}（${page} ページ目、${rows.length} 件、古い順）`;
  const table = labelCells(h("table", { class: "list", id: "queue" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...["申込日時", "区分", "受注者", "商品・形式", "内容", "保証金額", state.status === "submitted" ? "操作" : "結果"]
      .map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...rows.map((a) => h("tr", { "data-application": a.application_id, "data-kind": a.kind },
      h("td", { class: "nowrap" }, h("a", { href: appHref(a.application_id), "aria-label": `申込 ${wareki(a.submitted_at, true)} を開く` }, wareki(a.submitted_at, true))),
      h("td", { class: "nowrap" }, APPLICATION_KIND[a.kind] ?? a.kind),
      h("td", {}, a.contractor_name ?? a.company_id),
      h("td", {}, a.kind === "change"
        ? h("span", {}, "保証契約番号 ", a.contract_number ? h("a", { href: contractHref(a.contract_number) }, a.contract_number) : "—")
        : `${productLabel(a.product ?? "")}・${a.format === "electronic" ? "電子" : "書面"}`),
      h("td", {}, a.kind === "change" ? `${changeText(a.change)}（理由：${a.reason ?? "—"}）` : `${a.work_name ?? ""}（発注者 ${a.orderer_id ?? "—"}）`),
      h("td", { class: "num" }, a.guarantee_amount != null ? yen(a.guarantee_amount) : a.change?.guarantee?.amount != null ? yen(a.change.guarantee.amount) : "—"),
      h("td", {}, state.status === "submitted" ? decisionButtons(a, () => queueView(state))
        : a.reject_reason ?? (a.contract_number ? h("a", { href: contractHref(a.contract_number) }, a.contract_number) : "—")))))));

  const previous = h("button", { type: "button", disabled: page === 1 }, "前へ");
  previous.addEventListener("click", () => void queueView({ ...state, cursors: state.cursors.slice(0, -1) }));
  const next = h("button", { type: "button", disabled: !next_cursor }, "次へ");
  next.addEventListener("click", () => void queueView({ ...state, cursors: [...state.cursors, next_cursor] }));

  show(h("h1", {}, "申込の審査"),
    contractSearch(),
    h("div", { class: "filters" },
      h("p", { class: "field inline" }, h("label", { for: "status-filter" }, "状態"), status),
      h("p", { class: "field inline" }, h("label", { for: "kind-filter" }, "区分"), kind)),
    notice,
    rows.length ? table : h("p", {}, "該当する申込はありません。"),
    h("nav", { class: "actions pager", "aria-label": "ページ" }, previous, h("span", {}, `${page} ページ目`), next));
}

function describe(a: { kind: string; contract_number?: string | null; change?: Change; contractor_name?: string; work_name?: string; guarantee_amount?: number }): string {
  return a.kind === "change"
    ? `保証契約番号 ${a.contract_number} の変更：${changeText(a.change)}`
    : `${a.contractor_name}「${a.work_name}」${yen(a.guarantee_amount)}`;
}

/** 発行 / 却下, each after a confirmation; `after` shows the screen again with the outcome. */
function decisionButtons(a: Parameters<typeof describe>[0] & { application_id: string }, after: () => Promise<void>): HTMLElement {
  const issue = h("button", { type: "button", class: "primary" }, "発行");
  const reject = h("button", { type: "button" }, "却下");
  issue.addEventListener("click", async () => {
    const ok = await confirmDialog(a.kind === "change" ? "変更の電子保証を発行しますか" : "保証を発行しますか", h("p", {}, describe(a)), "発行する");
    if (!ok) return;
    try {
      const issued = await api.call<{ contract_number: string; label?: string }>("POST", `/staff/applications/${a.application_id}/issue`);
      nextNotice = message(`発行しました${issued.label ? `（${issued.label}）` : ""}。保証契約番号 ${issued.contract_number}`, "info");
    } catch (error) {
      nextNotice = message(errorText(error));
    }
    await after();
  });
  reject.addEventListener("click", async () => {
    const reason = h("textarea", { id: "reject-reason", name: "reason", rows: "3", required: true, maxlength: "500" });
    const ok = await confirmDialog("申込を却下しますか",
      h("div", {}, h("p", {}, describe(a)),
        h("div", { class: "field" }, h("label", { for: "reject-reason" }, "却下の理由（受注者に表示されます）"), reason)), "却下する");
    if (!ok) return;
    try {
      await api.call("POST", `/staff/applications/${a.application_id}/reject`, { reason: reason.value });
      nextNotice = message("却下しました。", "info");
    } catch (error) {
      nextNotice = message(errorText(error));
    }
    await after();
  });
  return h("span", { class: "pdf" }, issue, reject);
}

// ------------------------------------------------------------------ an application in full

type UndeliveredMail = Schemas["UndeliveredMail"];

/** E-mails to the contractor that SES refused or that failed on every retry: staff tell the contractor another way. */
function undeliveredMail(mails: UndeliveredMail[] | undefined): HTMLElement | null {
  return mails && mails.length
    ? h("div", { class: "message error", id: "undelivered-mail", role: "alert" },
      h("p", {}, "受注者へのメールが届けられませんでした。登録のメールアドレスを確かめ、ほかの方法でお知らせください。"),
      h("ul", {}, ...mails.map((m) => h("li", {},
        `メール未達: 宛先 ${m.to}　件名 ${m.subject}　理由 ${m.reason ?? "—"}${m.failed_at ? `（${wareki(m.failed_at, true)}）` : ""}`))))
    : null;
}

type StaffApplication = Schemas["StaffApplication"];

const WORK_KINDS: Record<string, string> = { construction: "工事", service: "業務委託" };

/** The issuers' registry (GET /issuers): the header's name, each application's branch by name. */
let issuers: IssuerEntry[] = [];

function problemList(problems: Schemas["Problem"][] | null): HTMLElement | null {
  if (problems === null) return null;
  if (!problems.length) return message("本日の基準で問題はありません。", "info");
  return h("div", { class: "message error", role: "alert", id: "problems" },
    h("p", {}, "本日の基準で次の問題があります（発行できない場合があります）："),
    h("ul", {}, ...problems.map((p) => h("li", {}, h("code", {}, p.field), "：", errorJa(p.code)))));
}

function newApplicationFacts(r: Record<string, any>, issuerId: string | null): HTMLElement { // eslint-disable-line @typescript-eslint/no-explicit-any
  const work = r.work ?? {}, guarantee = r.guarantee ?? {}, contractor = r.contractor ?? {};
  return h("table", { class: "facts", id: "application-request" }, h("caption", {}, "申込の内容"), h("tbody", {},
    row("商品", productLabel(r.product)),
    row("証書の形式", r.format === "electronic" ? "電子保証（認証キーを含む）" : "書面"),
    row("発行のお知らせメール", r.notify_email ? `希望する（${r.notify_email}）` : "希望しない"),
    row("取扱店", branchName(issuers, issuerId ?? r.issuer_id, r.branch_code)),
    row("発注者", r.orderer_id ?? (r.orderer ? `${r.orderer.name ?? ""}（登録外）` : "—")),
    row("工事名", work.name), row("種別", WORK_KINDS[work.kind] ?? work.kind),
    row("請負金額", yen(work.contract_price)), row("契約日", wareki(work.contract_date)),
    row("工期", `${wareki(work.period_start)} ～ ${wareki(work.period_end)}`),
    row("保証金額", yen(guarantee.amount)), row("保証期限", wareki(guarantee.deadline)),
    row("受注者", contractor.name), row("住所", contractor.address), row("共同企業体名", contractor.jv_name ?? "—"),
    row("預託金融機関", r.deposit_bank ?? "—"),
    r.advance_contract_number ? row("前払金保証の保証契約番号", h("a", { href: contractHref(r.advance_contract_number) }, r.advance_contract_number)) : null));
}

function changeFacts(a: StaffApplication): HTMLElement {
  const before = a.in_force?.certificate;
  const change: Change = a.request.change ?? {};
  const g = change.guarantee ?? {}, w = change.work ?? {};
  const line = (label: string, now: string, after: string | null | undefined) =>
    h("tr", { class: after ? "changed" : undefined }, h("th", { scope: "row" }, label), h("td", {}, now), h("td", {}, after ?? "（変更なし）"));
  return labelCells(h("table", { class: "list", id: "application-change" },
    h("caption", {}, `変更の内容（${a.in_force?.label ?? "現在"} → ${a.next_label ?? "変更"}）${a.kinds?.length ? `：${a.kinds.join("・")}` : ""}`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "項目"), h("th", { scope: "col" }, "現在"), h("th", { scope: "col" }, "変更後"))),
    h("tbody", {},
      line("保証金額", yen(before?.guarantee_amount), g.amount != null ? yen(g.amount) : null),
      line("保証期限", wareki(before?.guarantee_deadline), g.deadline ? wareki(g.deadline) : null),
      line("工期（自）", wareki(before?.period_start), w.period_start ? wareki(w.period_start) : null),
      line("工期（至）", wareki(before?.period_end), w.period_end ? wareki(w.period_end) : null),
      line("請負金額", yen(before?.contract_price), w.contract_price != null ? yen(w.contract_price) : null))));
}

async function applicationView(id: string): Promise<void> {
  const a = await api.call<StaffApplication>("GET", `/staff/applications/${encodeURIComponent(id)}`);
  const notice = takeNotice();
  const r = a.request as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the request as sent (ApplicationRequest or ChangeRequest)
  const issuer = issuerOf(a);
  const summary = h("table", { class: "facts", id: "application" }, h("tbody", {},
    row("申込番号", a.application_id),
    issuer ? row("保証会社等（発行者）", h("span", { id: "application-issuer" }, issuerText(issuer))) : null,
    row("区分", APPLICATION_KIND[a.kind] ?? a.kind),
    row("状態", h("span", { class: `badge application-${a.status}` }, APPLICATION_STATUS[a.status] ?? a.status)),
    row("申込日時", wareki(a.submitted_at, true)),
    row("受注者（会社）", a.company_id),
    row("保証契約番号", a.contract_number ? h("a", { href: contractHref(a.contract_number) }, a.contract_number) : "—"),
    a.decided_at ? row("決定", `${wareki(a.decided_at, true)}（${a.decided_by ?? "—"}）`) : null,
    a.reject_reason ? row("却下の理由", a.reject_reason) : null));
  const doc = a.certification_document;
  const documents = doc
    ? h("section", { "aria-labelledby": "documents-title" }, h("h2", { id: "documents-title" }, "添付書類"),
      h("table", { class: "facts", id: "documents" }, h("tbody", {},
        row("認定調書", doc.link ? link(doc.link.url, "PDFを開く", "認定調書のPDFを開く") : "—"),
        row("確認", doc.state === "checked" ? `確認済み（${doc.pages ?? "?"} ページ、${wareki(doc.checked_at ?? null, true)}）` : `${doc.state ?? "未確認"}${doc.reason ? `：${doc.reason}` : ""}`))))
    : null;
  const details = a.kind === "change"
    ? h("div", {}, changeFacts(a), h("p", {}, h("strong", {}, "変更理由："), r.reason ?? "—"))
    : newApplicationFacts(r, issuer?.issuer_id ?? null);
  const decide = a.status === "submitted"
    ? h("section", { "aria-labelledby": "decide-title" }, h("h2", { id: "decide-title" }, "審査"),
      h("p", { class: "actions" }, decisionButtons({
        application_id: a.application_id, kind: a.kind, contract_number: a.contract_number, change: r.change,
        contractor_name: r.contractor?.name, work_name: r.work?.name, guarantee_amount: r.guarantee?.amount,
      }, () => applicationView(id))))
    : null;
  show(h("h1", {}, `申込（${APPLICATION_KIND[a.kind] ?? a.kind}）`), notice, undeliveredMail(a.undelivered_mail), problemList(a.problems), summary, details, documents, decide,
    h("p", {}, h("a", { href: "#/queue" }, "申込の審査へ戻る")));
}

// ------------------------------------------------------------------ a contract with every record

type StaffContract = Schemas["StaffContract"];

const RECORD_KINDS: Record<string, string> = { "新規": "新規", "変更": "変更", "訂正": "訂正", "変更取消": "変更取消" };
const STATES: Record<string, string> = { rendered: "作成済み（掲載待ち）", published: "掲載済み" };
const FEE_KINDS: Record<string, string> = { fee: "保証料", additional: "追加保証料", refund: "保証料返還", none: "増減なし" };
const ACTIONS: Record<string, string> = {
  issue: "発行", reject: "却下", correct: "訂正", "cancel-change": "変更取消", terminate: "解約・履行請求", "rotate-key": "認証キー再発行",
};

function detailsText(details: Record<string, unknown>): string {
  const names: Record<string, string> = { version: "版", target_version: "対象の版", label: "表示", kind: "種類", reason: "理由",
    date: "日付", key_generation: "認証キー世代", change_number: "変更番号", in_force_version: "有効な版", refund: "返還" };
  const kinds: Record<string, string> = { new: "新規", change: "変更", interim: "中間前払金", cancelled: "解約", claimed: "保証債務履行請求" };
  return Object.entries(details)
    .filter(([k]) => k !== "request") // a digest of the request, for replays: nothing to read
    .map(([k, v]) => `${names[k] ?? k}: ${typeof v === "object" ? JSON.stringify(v) : kinds[String(v)] ?? String(v)}`).join("、") || "—";
}

async function contractView(number: string): Promise<void> {
  const c = await api.call<StaffContract>("GET", `/staff/contracts/${encodeURIComponent(number)}`);
  const notice = takeNotice();
  const n = c.contract_number;
  const f = c.in_force;
  const ending = c.termination
    ? `${c.termination.label}（${wareki(c.termination.date)}）：${c.termination.reason}${c.termination.refund ? `　返還 ${yen(c.termination.refund.amount)}` : ""}`
    : endingText(c.ending);
  const issuer = issuerOf(c);
  const facts = h("table", { class: "facts", id: "contract" }, h("tbody", {},
    row("保証契約番号", n),
    issuer ? row("保証会社等（発行者）", h("span", { id: "contract-issuer" }, issuerText(issuer))) : null,
    row("状態", statusBadge(c.status, c.status_label)),
    ending ? row("終了", h("span", {}, ending, c.termination_statement ? h("span", {}, "　", link(c.termination_statement.url, "保証料返還計算書")) : null)) : null,
    row("商品・形式", `${c.product_label}・${c.format === "electronic" ? "電子" : "書面"}`),
    row("受注者（会社）", c.company_id),
    row("発注者", `${c.orderer_name}（${c.orderer_id}）`),
    row("現在有効な版", f ? `${f.label}（第${f.version}版）` : "—"),
    f ? row("工事名", f.work_name) : null,
    f ? row("保証金額・保証期限", `${yen(f.guarantee_amount)}・${wareki(f.guarantee_deadline)}`) : null,
    row("履歴の連鎖", c.chain_valid ? "正常" : h("strong", { class: "bad" }, "不整合があります")),
    row("審査中の変更申込", c.pending_change ? h("a", { href: appHref(c.pending_change) }, c.pending_change) : "なし"),
    row("認証キー", `第${c.key_generation}世代（キーは表示しません）`),
    row("申込", c.application_id ? h("a", { href: appHref(c.application_id) }, c.application_id) : "—"),
    row("リビジョン", String(c.revision))));

  const records = labelCells(h("table", { class: "list", id: "records" },
    h("caption", {}, "すべての記録（非表示の記録を含む）"),
    h("thead", {}, h("tr", {}, ...["版", "種類", "表示", "受注者・発注者への表示", "状態", "電子保証発行日時", "保証金額", "理由・決定者", "書類"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...c.records.map((r) => h("tr", { class: r.shown ? undefined : "hidden-record", "data-version": String(r.version) },
      h("td", { class: "nowrap" }, String(r.version)),
      h("td", {}, (RECORD_KINDS[r.kind] ?? r.kind) + (r.target_version ? `（第${r.target_version}版に対して）` : "")),
      h("td", { class: "nowrap" }, r.label),
      h("td", { class: "nowrap" }, r.shown ? "表示" : h("span", { class: "badge hidden-badge" }, "非表示")),
      h("td", { class: "nowrap" }, (r.state && STATES[r.state]) ?? r.state ?? "—"),
      h("td", {}, wareki(r.issued_at, true)),
      h("td", { class: "num" }, yen(r.guarantee_amount)),
      h("td", { class: "wrap" }, [r.reason, r.decided_by].filter(Boolean).join(" / ") || "—"),
      h("td", { class: "nowrap" }, h("span", { class: "pdf" },
        r.certificate ? link(r.certificate.url, "証書", `第${r.version}版の証書`) : null,
        r.fee_statement ? link(r.fee_statement.url, FEE_KINDS[r.fee_kind ?? "fee"] ?? "計算書", `第${r.version}版の保証料計算書`) : null,
        !r.certificate && !r.fee_statement ? "—" : null)))))));

  const receipts = c.receipts.length
    ? labelCells(h("table", { class: "list", id: "staff-receipts" }, h("caption", {}, "受領確認"),
      h("thead", {}, h("tr", {}, ...["発注者", "版", "受領日時"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...c.receipts.map((r) => h("tr", {}, h("td", {}, r.orderer_name), h("td", {}, String(r.version)), h("td", {}, wareki(r.received_at, true)))))))
    : h("p", {}, "受領確認はまだありません。");
  const views = c.views.length
    ? h("p", { id: "views" }, `発注者の閲覧 ${c.views.length} 回（最後：${wareki(c.views[c.views.length - 1].viewed_at, true)}）`)
    : h("p", { id: "views" }, "発注者の閲覧はまだありません。");
  const audit = labelCells(h("table", { class: "list", id: "audit" },
    h("caption", {}, "監査記録（職員の操作）"),
    h("thead", {}, h("tr", {}, ...["日時", "操作", "職員", "申込", "内容"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...c.audit.map((a) => h("tr", {},
      h("td", { class: "nowrap" }, wareki(a.at, true)), h("td", { class: "nowrap" }, ACTIONS[a.action] ?? a.action),
      h("td", { class: "wrap" }, a.staff_subject ?? "—"),
      h("td", { class: "nowrap" }, a.application_id ? h("a", { href: appHref(a.application_id), "aria-label": `${ACTIONS[a.action] ?? a.action}の申込を開く` }, "開く") : "—"),
      h("td", { class: "wrap" }, detailsText(a.details)))))));

  const undelivered = undeliveredMail(c.undelivered_mail);

  const open = c.status === "valid";
  show(h("h1", {}, `保証契約 ${n}`), notice, undelivered, facts,
    h("h2", {}, "電子保証履歴（表示される記録）"),
    h("p", {}, c.history.map((e) => `${e.no}. ${e.label}（第${e.version}版、${wareki(e.issued_at, true)}）`).join("　") || "—"),
    h("h2", {}, "記録"), h("div", { class: "scroll" }, records),
    h("h2", {}, "受領確認・閲覧"), receipts, views,
    h("h2", {}, "操作"),
    h("div", { class: "operations" },
      correctionForm(c), cancellationForm(c), open ? terminationForm(c) : null, c.format === "electronic" ? keyRotationForm(c) : null),
    h("h2", {}, "監査記録"), c.audit.length ? h("div", { class: "scroll" }, audit) : h("p", {}, "操作の記録はありません。"),
    h("p", {}, h("a", { href: "#/queue" }, "申込の審査へ戻る")));
}

/** One operation: a form in a disclosure; on submit, a confirmation, then the call; 422 at its fields. */
function operation(id: string, title: string, fields: Node[], confirmText: (form: HTMLFormElement) => string,
  call: (form: HTMLFormElement) => Promise<string>, button: string, number: string): HTMLElement {
  const result = h("div", { class: "op-result", "aria-live": "polite" });
  const form = h("form", { id, novalidate: true }, ...fields,
    h("p", { class: "field-error", id: `${id}-error`, "data-field": "body" }),
    h("p", { class: "actions" }, h("button", { type: "submit", class: "primary" }, button)), result);
  // Several forms on one screen name the same fields: their ids are made the form's own.
  form.querySelectorAll<HTMLElement>("[id^='f-']").forEach((el) => (el.id = `${id}-${el.id}`));
  form.querySelectorAll<HTMLLabelElement>("label[for^='f-']").forEach((el) => (el.htmlFor = `${id}-${el.htmlFor}`));
  form.querySelectorAll<HTMLElement>("[aria-describedby]").forEach((el) => el.setAttribute("aria-describedby",
    el.getAttribute("aria-describedby")!.split(" ").map((ref) => (ref.startsWith("f-") ? `${id}-${ref}` : ref)).join(" ")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    result.replaceChildren();
    const ok = await confirmDialog(`${title}しますか`, h("p", {}, confirmText(form)), `${button}する`);
    if (!ok) return;
    try {
      nextNotice = message(await call(form), "info");
      await contractView(number);
    } catch (error) {
      if (error instanceof ApiError && error.status === 409) {
        nextNotice = message(`${errorText(error)} 最新の状態を表示しました。内容を確かめてから、もう一度操作してください。`);
        await contractView(number);
        return;
      }
      result.replaceChildren(message(errorText(error)));
      if (error instanceof ApiError) showFieldErrors(form, error, document.getElementById(`${id}-error`));
    }
  });
  return h("details", { class: "operation" }, h("summary", {}, title), form);
}

/** Each action names the revision the screen showed: if another staff member acted meanwhile, the
 * API answers 409 and the screen shows the contract as it is now. */
function ifMatch(c: StaffContract): Record<string, string> {
  return { "If-Match": `"${c.revision}"` };
}

function value(form: HTMLFormElement, name: string): string | undefined {
  const control = form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | null;
  const text = control?.value.trim();
  return text ? text : undefined;
}

function versionSelect(id: string, label: string, options: [number, string][]): HTMLElement {
  return h("div", { class: "field", "data-field": "version" },
    h("label", { for: id }, label),
    h("select", { id, name: "version" }, ...options.map(([v, t]) => h("option", { value: String(v) }, t))),
    h("p", { class: "field-error" }));
}

function correctionForm(c: StaffContract): HTMLElement | null {
  if (!c.history.length) return null;
  const fields = [
    versionSelect("correct-version", "訂正する版", c.history.map((e) => [e.version, `${e.label}（第${e.version}版）`])),
    h("p", { class: "help" }, "誤って記載した項目だけを入力してください。訂正後の証書は同じ表示（新規・変更ー k）で差し替わり、元の記録は非表示になります。"),
    input("work.name", "工事名"), input("work.contract_price", "請負金額（円）", { inputmode: "numeric" }),
    input("work.contract_date", "請負契約日", { placeholder: "2027-04-01" }),
    input("work.period_start", "工期（自）", { placeholder: "2027-04-02" }), input("work.period_end", "工期（至）", { placeholder: "2030-03-15" }),
    input("guarantee.amount", "保証金額（円）", { inputmode: "numeric" }), input("guarantee.deadline", "保証期限", { placeholder: "2030-03-29" }),
    input("contractor.name", "保証契約者名"), input("contractor.address", "保証契約者の住所"), input("contractor.jv_name", "共同企業体名"),
    input("deposit_bank", "預託金融機関"),
    textArea("reason", "訂正の理由", { required: true }),
  ];
  return operation("correction-form", "訂正", fields,
    (form) => `第${value(form, "version")}版を訂正します。発注者には訂正後の電子証書が表示されます。`,
    async (form) => {
      const group = (names: string[], prefix: string) => {
        const out = Object.fromEntries(names.map((k) => [k, value(form, `${prefix}.${k}`)]).filter(([, v]) => v !== undefined));
        return Object.keys(out).length ? out : undefined;
      };
      const body = {
        work: group(["name", "contract_price", "contract_date", "period_start", "period_end"], "work"),
        guarantee: group(["amount", "deadline"], "guarantee"),
        contractor: group(["name", "address", "jv_name"], "contractor"),
        deposit_bank: value(form, "deposit_bank"),
        reason: value(form, "reason") ?? "",
      };
      const done = await api.call<{ version: number; label: string; state: string }>(
        "POST", `/staff/contracts/${encodeURIComponent(c.contract_number)}/versions/${value(form, "version")}/corrections`, body, ifMatch(c));
      return `訂正しました（${done.label}、第${done.version}版、${STATES[done.state] ?? done.state}）。`;
    }, "訂正", c.contract_number);
}

function cancellationForm(c: StaffContract): HTMLElement | null {
  const changes = c.history.filter((e) => e.target === "変更");
  if (!changes.length) return null;
  const fields = [
    versionSelect("cancel-version", "取り消す変更", changes.map((e) => [e.version, `${e.label}（第${e.version}版）`])),
    h("p", { class: "help" }, "変更取消した変更は履歴に表示されなくなり、その前の版が有効に戻ります。"),
    textArea("reason", "変更取消の理由", { required: true }),
  ];
  return operation("cancellation-form", "変更取消", fields,
    (form) => `第${value(form, "version")}版の変更を取り消します。その前の版が有効になります。`,
    async (form) => {
      const done = await api.call<{ cancelled_label: string; in_force: { label: string } | null }>(
        "POST", `/staff/contracts/${encodeURIComponent(c.contract_number)}/versions/${value(form, "version")}/cancellation`,
        { reason: value(form, "reason") ?? "" }, ifMatch(c));
      return `${done.cancelled_label} を取り消しました。現在有効な版：${done.in_force?.label ?? "—"}。`;
    }, "変更取消", c.contract_number);
}

function terminationForm(c: StaffContract): HTMLElement {
  const fields = [
    h("fieldset", { class: "field", "data-field": "kind" }, h("legend", {}, "種類"),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "kind", value: "cancelled", checked: true }), "解約"),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "kind", value: "claimed" }), "保証債務履行請求"),
      h("p", { class: "field-error" })),
    input("date", "日付", { placeholder: "2028-03-31", required: true }, "解約は、この日の翌日以降の保証料を返還します。"),
    textArea("reason", "理由", { required: true }),
  ];
  const kindOf = (form: HTMLFormElement) => (form.querySelector("[name=kind]:checked") as HTMLInputElement).value;
  return operation("termination-form", "解約・保証債務履行請求", fields,
    (form) => `${kindOf(form) === "claimed" ? "保証債務履行請求" : "解約"}（${value(form, "date") ?? "日付なし"}）を記録します。取り消せません。`,
    async (form) => {
      const done = await api.call<{ label: string; date: string; refund?: { amount: number } | null }>(
        "POST", `/staff/contracts/${encodeURIComponent(c.contract_number)}/termination`,
        { kind: kindOf(form), date: value(form, "date") ?? "", reason: value(form, "reason") ?? "" }, ifMatch(c));
      return `${done.label}を記録しました（${wareki(done.date)}）${done.refund ? `。保証料返還 ${yen(done.refund.amount)}` : ""}。`;
    }, "記録", c.contract_number);
}

function keyRotationForm(c: StaffContract): HTMLElement {
  const fields = [h("p", {}, "新しい認証キーを発行します。今の認証キーはただちに使えなくなります。新しいキーは受注者の電子保証概要に表示され、ここには表示されません。")];
  let idempotencyKey = crypto.randomUUID();
  return operation("key-rotation-form", "認証キーの再発行", fields,
    () => `保証契約番号 ${c.contract_number} の認証キーを再発行します（第${c.key_generation}世代 → 第${c.key_generation + 1}世代）。`,
    async () => {
      const done = await api.call<{ key_generation: number }>("POST", `/staff/contracts/${encodeURIComponent(c.contract_number)}/key-rotation`,
        undefined, { "Idempotency-Key": idempotencyKey, ...ifMatch(c) });
      idempotencyKey = crypto.randomUUID();
      return `認証キーを再発行しました（第${done.key_generation}世代）。受注者にお知らせください。`;
    }, "再発行", c.contract_number);
}

// ------------------------------------------------------------------ routing

async function route(): Promise<void> {
  const parts = (location.hash.replace(/^#/, "") || "/queue").split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === "applications" && parts[1]) await applicationView(parts[1]);
    else if (parts[0] === "contracts" && parts[1]) await contractView(parts[1]);
    else await queueView();
    document.getElementById("main")?.focus();
  } catch (error) {
    show(h("h1", {}, "審査デスク"), message(errorText(error)), h("p", {}, h("a", { href: "#/queue" }, "申込の審査へ戻る")));
  }
}

/** The header names the issuer the signed-in staff member works for (custom:issuer_id; none: the
 * default issuer's staff, as the API reads it): everything on this desk is that issuer's. */
async function showIssuer(token: string): Promise<void> {
  issuers = await loadIssuers();
  const id = String(claims(token)["custom:issuer_id"] ?? "") || DEFAULT_ISSUER_ID;
  const mine = issuers.find((e) => e.issuer_id === id);
  if (!mine) return;
  document.getElementById("staff-issuer")?.remove();
  document.querySelector(".bar .brand")?.after(h("span", { class: "issuer-name", id: "staff-issuer" }, issuerText(mine)));
}

void boot(FRONT, async () => {
  if (!(await session(FRONT))) await signIn(FRONT);
  await showIssuer((await session(FRONT))!);
  nav(FRONT, [["#/queue", "申込の審査"]]);
  window.addEventListener("hashchange", () => void route());
  await route();
});
