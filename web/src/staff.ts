// The review desk (保証会社職員): the queue with filters and paging; an application in full before
// deciding (発行 / 却下 with a confirmation that shows what is decided, then a busy state and the
// outcome); 承認待ち (four eyes); a search over the issuer's contracts with worklists; a contract by
// number with every record (hidden ones marked), 訂正 (before → after), 変更取消, 解約 / 保証債務履行請求,
// 認証キーの再発行, the verification lock and the audit trail, people and orderers by name.
// Views are chosen by the address's fragment (#/queue, #/applications/<id>, #/approvals[/<id>],
// #/contracts?…, #/contracts/<number>).
import "./style.css";
import {
  APPLICATION_KIND, APPLICATION_STATUS, ApiError, boot, claims, errorJa, clearFieldErrors, confirmDialog, endingText, h, input,
  labelCells, message, nav, productLabel, session, show, showFieldErrors, signIn, statusBadge, textArea,
  wareki, yen, type Schemas,
} from "./common";
import { DEFAULT_ISSUER_ID, branchName, issuerOf, issuerText, loadIssuers, type IssuerEntry } from "./issuers";
import {
  FIELD_LABELS, FRONT, api, appHref, beneficiaryName, busy, contractHref, decidedChangeTable, errorText, isApproval, link, ordererName, personName,
  readOrdererNames, row, setNotice, takeNotice, type Approval, type FeeEstimate, type QueueRow, type StaffApplication, type StaffContract,
} from "./staff_common";
import { approvalView, approvalsView, pendingPanel, pendingText, setMe } from "./staff_approvals";
import { contractSearch, searchHref, searchView } from "./staff_search";

// ------------------------------------------------------------------ the queue

interface Change {
  guarantee?: { amount?: number | null; deadline?: string | null };
  work?: { period_start?: string | null; period_end?: string | null; contract_price?: number | null };
}

const STATUSES: [string, string][] = [["submitted", "審査待ち"], ["issued", "発行済み"], ["rejected", "却下"]];
const KINDS: [string, string][] = [["", "すべて"], ["new", "新規"], ["change", "変更"], ["interim", "中間前払金"]];
const PAGE = 20;

/** What a change asks for, in the screens' words. */
function changeText(change: Change | undefined | null): string {
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

/** The queue: each row opens the application in full; 発行 and 却下 are there, after reading it. */
async function queueView(state: QueueState = queueState): Promise<void> {
  queueState = state;
  const notice = takeNotice();
  const cursor = state.cursors[state.cursors.length - 1];
  const query = new URLSearchParams({ status: state.status, limit: String(PAGE) });
  if (cursor) query.set("cursor", cursor);
  if (state.kind) query.set("kind", state.kind); // filtered by the API, so each page is full
  const { applications: rows, next_cursor } = await api.call<{ applications: QueueRow[]; next_cursor: string | null }>(
    "GET", `/staff/applications?${query}`);

  const status = h("select", { id: "status-filter" }, ...STATUSES.map(([v, t]) => h("option", { value: v, selected: v === state.status }, t)));
  status.addEventListener("change", () => void queueView({ status: status.value, kind: state.kind, cursors: [null] }));
  const kind = h("select", { id: "kind-filter" }, ...KINDS.map(([v, t]) => h("option", { value: v, selected: v === state.kind }, t)));
  kind.addEventListener("change", () => void queueView({ status: state.status, kind: kind.value, cursors: [null] }));

  const page = state.cursors.length;
  const caption = `${STATUSES.find(([v]) => v === state.status)?.[1]}（${page} ページ目、${rows.length} 件、古い順）`;
  const table = labelCells(h("table", { class: "list", id: "queue" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...["申込日時", "区分", "受注者", "商品・形式", "内容", "保証金額", state.status === "submitted" ? "審査" : "結果"]
      .map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...rows.map((a) => h("tr", { "data-application": a.application_id, "data-kind": a.kind },
      h("td", { class: "nowrap" }, h("a", { href: appHref(a.application_id), "aria-label": `申込 ${wareki(a.submitted_at, true)} を開く` }, wareki(a.submitted_at, true))),
      h("td", { class: "nowrap" }, APPLICATION_KIND[a.kind] ?? a.kind),
      h("td", {}, a.contractor_name ?? "—"),
      h("td", {}, a.kind === "change"
        ? h("span", {}, "保証契約番号 ", a.contract_number ? h("a", { href: contractHref(a.contract_number) }, a.contract_number) : "—")
        : `${productLabel(a.product ?? "")}・${a.format === "electronic" ? "電子" : "書面"}`),
      h("td", {}, a.kind === "change"
        ? `${changeText(a.change as Change | null)}（理由：${a.reason ?? "—"}）`
        : `${a.work_name ?? ""}（発注者 ${ordererName(a.orderer_name, a.orderer_id)}）`),
      h("td", { class: "num" }, a.guarantee_amount != null ? yen(a.guarantee_amount)
        : (a.change as Change | null)?.guarantee?.amount != null ? yen((a.change as Change).guarantee!.amount) : "—"),
      h("td", {}, state.status === "submitted"
        ? h("a", { href: appHref(a.application_id), "aria-label": `${a.contractor_name ?? "申込"}（${wareki(a.submitted_at, true)}）を審査する` }, "審査する")
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
    rows.length ? h("div", { class: "scroll" }, table) : h("p", {}, "該当する申込はありません。"),
    h("nav", { class: "actions pager", "aria-label": "ページ" }, previous, h("span", {}, `${page} ページ目`), next));
}

// ------------------------------------------------------------------ deciding

/** Stock reasons for 却下 (the contractor reads them): one is chosen, then added to if need be. */
const REJECT_REASONS = [
  "提出書類に不備があります。内容をご確認のうえ、再度お申込みください。",
  "預託金融機関の口座が確認できません。",
  "保証金額が契約の条件と合っていません。",
  "工期または保証期限が契約書の記載と一致しません。",
  "受注者の情報（商号・住所・代表者）が登録の内容と一致しません。",
  "同じ工事のお申込みが重複しています。",
];

interface Decided {
  label: string; // 新規 / 変更ー n
  beneficiary: string; // 被保証者
  amount: number | null | undefined;
  deadline: string | null | undefined;
  fee: FeeEstimate | null | undefined;
  what: string; // 受注者「工事名」, or 保証契約番号 … の変更
}

/** The facts a confirmation shows: what will be issued, for whom, how much, until when, the fee. */
function decisionFacts(d: Decided): HTMLElement {
  return h("table", { class: "facts", id: "decision-facts" }, h("tbody", {},
    row("表示", d.label),
    row("内容", d.what),
    row("被保証者", d.beneficiary),
    row("保証金額", yen(d.amount)),
    row("保証期限", wareki(d.deadline)),
    d.fee ? row("保証料（見込み）", `${yen(d.fee.fee)}（${d.fee.days} 日、${d.fee.table_name}）`) : null));
}

/** 発行 / 却下 on the application page, each after a confirmation; while the API works the buttons
 * are disabled and say so; then the page is drawn again with what was decided. */
function decisionButtons(a: StaffApplication, d: Decided, after: () => Promise<void>): HTMLElement {
  const region = h("section", { "aria-labelledby": "decide-title", id: "decide" }, h("h2", { id: "decide-title" }, "審査"));
  const issue = h("button", { type: "button", class: "primary", id: "issue-button" }, "発行");
  const reject = h("button", { type: "button", id: "reject-button" }, "却下");
  issue.addEventListener("click", async () => {
    const ok = await confirmDialog("発行しますか",
      h("div", {}, h("p", {}, `${d.label}の電子保証を発行します。`), decisionFacts(d)), "発行する");
    if (!ok) return;
    const done = busy(issue, region, "発行しています…");
    reject.disabled = true;
    try {
      const answer = await api.call<Schemas["Issued"] | Approval>("POST", `/staff/applications/${encodeURIComponent(a.application_id)}/issue`);
      if (isApproval(answer)) setNotice(pendingText(answer));
      else setNotice(`発行しました（${answer.label}）。保証契約番号 ${answer.contract_number}`);
    } catch (error) {
      done();
      reject.disabled = false;
      setNotice(errorText(error), "error");
    }
    await after();
  });
  reject.addEventListener("click", async () => {
    const stock = h("select", { id: "reject-stock" }, h("option", { value: "" }, "選ばない（理由を入力する）"),
      ...REJECT_REASONS.map((text) => h("option", { value: text }, text)));
    const reason = h("textarea", { id: "reject-reason", name: "reason", rows: "3", required: true, maxlength: "500" });
    stock.addEventListener("change", () => {
      if (stock.value) reason.value = stock.value;
    });
    const ok = await confirmDialog("却下しますか",
      h("div", {}, h("p", {}, `${d.label}の申込を却下します：${d.what}`),
        h("div", { class: "field" }, h("label", { for: "reject-stock" }, "定型の理由"), stock),
        h("div", { class: "field" }, h("label", { for: "reject-reason" }, "却下の理由（受注者に表示されます）"), reason)), "却下する");
    if (!ok) return;
    const done = busy(reject, region, "却下しています…");
    issue.disabled = true;
    try {
      await api.call("POST", `/staff/applications/${encodeURIComponent(a.application_id)}/reject`, { reason: reason.value.trim() });
      setNotice("却下しました。");
    } catch (error) {
      done();
      issue.disabled = false;
      setNotice(errorText(error), "error");
    }
    await after();
  });
  region.append(h("p", { class: "actions" }, issue, reject));
  return region;
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

const WORK_KINDS: Record<string, string> = { construction: "工事", service: "業務委託" };

/** The issuers' registry (GET /issuers): the header's name, each application's branch by name. */
let issuers: IssuerEntry[] = [];
let myIssuer: IssuerEntry | undefined;

const PROBLEM_FIELDS: Record<string, string> = {
  "work.name": "工事名", "work.contract_price": "請負金額", "work.contract_date": "請負契約日", "work.period_start": "工期（自）",
  "work.period_end": "工期（至）", "guarantee.amount": "保証金額", "guarantee.deadline": "保証期限", deposit_bank: "預託金融機関",
  "contractor.name": "受注者", "contractor.address": "住所", orderer_id: "発注者", product: "商品", issuer_id: "保証会社等",
};

function problemList(problems: Schemas["Problem"][] | null): HTMLElement | null {
  if (problems === null) return null;
  if (!problems.length) return message("本日の基準で問題はありません。", "info");
  return h("div", { class: "message error", role: "alert", id: "problems" },
    h("p", {}, "本日の基準で次の問題があります（発行できない場合があります）："),
    h("ul", {}, ...problems.map((p) => {
      const path = p.field.split(".").filter((part) => part !== "body").join(".");
      return h("li", {}, PROBLEM_FIELDS[path] ?? "申込", "：", errorJa(p.code));
    })));
}

function newApplicationFacts(a: StaffApplication, r: Record<string, any>, issuerId: string | null): HTMLElement { // eslint-disable-line @typescript-eslint/no-explicit-any
  const work = r.work ?? {}, guarantee = r.guarantee ?? {}, contractor = r.contractor ?? {};
  return h("table", { class: "facts", id: "application-request" }, h("caption", {}, "申込の内容"), h("tbody", {},
    row("商品", productLabel(r.product)),
    row("証書の形式", r.format === "electronic" ? "電子保証（認証キーを含む）" : "書面"),
    row("発行のお知らせメール", r.notify_email ? `希望する（${r.notify_email}）` : "希望しない"),
    row("取扱店", branchName(issuers, issuerId ?? r.issuer_id, r.branch_code)),
    row("発注者", r.orderer_id ? ordererName(a.orderer_name, r.orderer_id) : r.orderer ? `${r.orderer.name ?? ""}（登録外）` : "—"),
    row("工事名", work.name), row("種別", WORK_KINDS[work.kind] ?? work.kind),
    row("請負金額", yen(work.contract_price)), row("契約日", wareki(work.contract_date)),
    row("工期", `${wareki(work.period_start)} ～ ${wareki(work.period_end)}`),
    row("保証金額", yen(guarantee.amount)), row("保証期限", wareki(guarantee.deadline)),
    row("受注者", contractor.name), row("住所", contractor.address), row("共同企業体名", contractor.jv_name ?? "—"),
    row("預託金融機関", r.deposit_bank ?? "—"),
    a.fee_estimate ? row("保証料（見込み）", `${yen(a.fee_estimate.fee)}（${a.fee_estimate.days} 日、${a.fee_estimate.table_name}）`) : null,
    r.advance_contract_number ? row("前払金保証の保証契約番号", h("a", { href: contractHref(r.advance_contract_number) }, r.advance_contract_number)) : null));
}

/** A change waiting: the version it would change beside what is asked. Once decided, the change it
 * made (decided_change: from the version it was applied to, to the one it made), never today's contract. */
function changeFacts(a: StaffApplication): HTMLElement | null {
  const change: Change = (a.request as { change?: Change }).change ?? {};
  const g = change.guarantee ?? {}, w = change.work ?? {};
  if (a.status !== "submitted") {
    return decidedChangeTable(a.decided_change) ?? h("table", { class: "facts", id: "application-change" },
      h("caption", {}, "申し込まれた変更"), h("tbody", {}, row("変更の内容", changeText(change))));
  }
  const before = a.in_force?.certificate;
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

/** What 発行 would decide, for the confirmation. */
function decided(a: StaffApplication, r: Record<string, any>): Decided { // eslint-disable-line @typescript-eslint/no-explicit-any
  if (a.kind === "change") {
    const before = a.in_force?.certificate;
    const change: Change = r.change ?? {};
    return {
      label: a.next_label ?? "変更",
      beneficiary: before?.beneficiary ?? ordererName(a.orderer_name, before?.orderer_id),
      amount: change.guarantee?.amount ?? before?.guarantee_amount,
      deadline: change.guarantee?.deadline ?? before?.guarantee_deadline,
      fee: a.fee_estimate,
      what: `保証契約番号 ${a.contract_number ?? "—"} の変更（${a.in_force?.label ?? "現在"} → ${a.next_label ?? "変更"}）：${changeText(change)}`,
    };
  }
  return {
    label: "新規",
    beneficiary: r.orderer_id ? beneficiaryName(r.orderer_id, a.orderer_name) : r.orderer?.beneficiary_name ?? r.orderer?.name ?? "—",
    amount: r.guarantee?.amount,
    deadline: r.guarantee?.deadline,
    fee: a.fee_estimate,
    what: `${r.contractor?.name ?? ""}「${r.work?.name ?? ""}」`,
  };
}

async function applicationView(id: string): Promise<void> {
  const a = await api.call<StaffApplication>("GET", `/staff/applications/${encodeURIComponent(id)}`);
  const notice = takeNotice();
  const r = a.request as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- the request as sent (ApplicationRequest or ChangeRequest)
  const issuer = issuerOf(a);
  const contractorName = a.contractor_name ?? r.contractor?.name ?? a.in_force?.certificate.contractor.name;
  const summary = h("table", { class: "facts", id: "application" }, h("tbody", {},
    row("申込番号", a.reference ?? a.application_id),
    issuer ? row("保証会社等（発行者）", h("span", { id: "application-issuer" }, issuerText(issuer))) : null,
    row("区分", APPLICATION_KIND[a.kind] ?? a.kind),
    row("状態", h("span", { class: `badge application-${a.status}` }, APPLICATION_STATUS[a.status] ?? a.status)),
    row("申込日時", wareki(a.submitted_at, true)),
    row("受注者", contractorName ?? "—"),
    row("保証契約番号", a.contract_number ? h("a", { href: contractHref(a.contract_number) }, a.contract_number) : "—"),
    a.decided_at ? row("決定", `${wareki(a.decided_at, true)}（${personName(a.decided_by_name)}）`) : null,
    a.reject_reason ? row("却下の理由", a.reject_reason) : null));
  const doc = a.certification_document;
  const documents = doc
    ? h("section", { "aria-labelledby": "documents-title" }, h("h2", { id: "documents-title" }, "添付書類"),
      h("table", { class: "facts", id: "documents" }, h("tbody", {},
        row("認定調書", doc.link ? link(doc.link.url, "PDFを開く", "認定調書のPDFを開く") : "—"),
        row("確認", doc.state === "checked" ? `確認済み（${doc.pages ?? "?"} ページ、${wareki(doc.checked_at ?? null, true)}）` : `${doc.state === "rejected" ? "不適合" : "未確認"}${doc.code ? `：${errorJa(doc.code)}` : ""}`))))
    : null;
  const details = a.kind === "change"
    ? h("div", {}, changeFacts(a), h("p", {}, h("strong", {}, "変更理由："), r.reason ?? "—"))
    : newApplicationFacts(a, r, issuer?.issuer_id ?? null);
  const decide = a.status === "submitted" && !a.pending_approval ? decisionButtons(a, decided(a, r), () => applicationView(id)) : null;
  show(h("h1", {}, `申込（${APPLICATION_KIND[a.kind] ?? a.kind}）`), notice, undeliveredMail(a.undelivered_mail),
    pendingPanel(a.status === "submitted" ? a.pending_approval : null), problemList(a.problems), summary, details, documents, decide,
    h("p", {}, h("a", { href: "#/queue" }, "申込の審査へ戻る")));
}

// ------------------------------------------------------------------ a contract with every record

const RECORD_KINDS: Record<string, string> = { "新規": "新規", "変更": "変更", "訂正": "訂正", "変更取消": "変更取消" };
const STATES: Record<string, string> = { rendered: "作成済み（掲載待ち）", published: "掲載済み" };
const FEE_KINDS: Record<string, string> = { fee: "保証料", additional: "追加保証料", refund: "保証料返還", none: "増減なし" };
const ACTIONS: Record<string, string> = {
  issue: "発行", reject: "却下", correct: "訂正", "cancel-change": "変更取消", terminate: "解約・履行請求", "rotate-key": "認証キー再発行",
  "approval-return": "差し戻し", "lock-release": "照合ロック解除",
};

/** An audit item's details in the screen's words; ids of people give way to their names. */
function detailsText(details: Record<string, unknown>, labels: Map<number, string>): string {
  const names: Record<string, string> = { label: "表示", kind: "種類", reason: "理由", date: "日付", key_generation: "認証キー世代",
    change_number: "変更番号", refund: "返還", approved_by_name: "承認した職員", fields: "訂正した項目", attempts: "失敗回数" };
  const kinds: Record<string, string> = { new: "新規", change: "変更", interim: "中間前払金", cancelled: "解約", claimed: "保証債務履行請求" };
  const recordLabel = (v: unknown) => labels.get(Number(v)) ?? "—";
  // The record an action wrote carries the label it shows (表示); the one it acted on is named once.
  const skip = new Set(["request", "approved_by", "withdrawn_application", "staff_subject", "approval_id"]);
  if ("label" in details) skip.add("version");
  if ("target_version" in details) skip.add("label");
  return Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    // a digest of the request (for replays), people's ids and internal links: nothing to read
    .filter(([k]) => !skip.has(k))
    .map(([k, v]) => {
      if (k === "version") return `記録: ${recordLabel(v)}`;
      if (k === "target_version") return `対象: ${recordLabel(v)}`;
      if (k === "in_force_version") return `有効な電子証書: ${recordLabel(v)}`;
      if (k === "refund" && typeof v === "number") return `返還: ${yen(v)}`;
      if (k === "date" && typeof v === "string") return `日付: ${wareki(v)}`;
      if (k === "fields" && Array.isArray(v)) return `訂正した項目: ${v.map((f) => FIELD_LABELS[String(f)] ?? String(f)).join("・")}`;
      const name = names[k];
      if (!name) return null;
      return `${name}: ${typeof v === "object" ? JSON.stringify(v) : kinds[String(v)] ?? String(v)}`;
    }).filter(Boolean).join("、") || "—";
}

/** The verification lock on the number: since when, until when, how many wrong keys; 解除 with a reason. */
function lockPanel(c: StaffContract): HTMLElement | null {
  const lock = c.lock;
  if (!lock || (!lock.locked && !lock.attempts)) return null;
  const facts = h("table", { class: "facts", id: "lock" }, h("tbody", {},
    row("状態", lock.locked ? h("strong", { class: "bad" }, "照合ロック中") : "ロックされていません"),
    row("認証キーの誤り", `${lock.attempts} 回（上限 ${lock.budget} 回）`),
    lock.since ? row("ロックの開始", wareki(lock.since, true)) : null,
    lock.until ? row("ロックの終了予定", wareki(lock.until, true)) : null));
  const section = h("section", { class: lock.locked ? "lock locked" : "lock", "aria-labelledby": "lock-title" },
    h("h2", { id: "lock-title" }, lock.locked ? "照合ロック中" : "照合の誤り"),
    h("p", {}, lock.locked
      ? "この保証契約番号は、認証キーの誤りが続いたため、発注者が照会できなくなっています。発注者からの問い合わせで本人確認ができたときは、解除できます。"
      : "認証キーの誤りが記録されています。上限に達すると照会がロックされます。"),
    facts);
  if (!lock.locked) return section;
  const form = h("form", { id: "lock-form", novalidate: true },
    textArea("reason", "解除の理由（監査記録に残ります）", { required: true }),
    h("p", { class: "field-error", id: "lock-form-error", "data-field": "body" }),
    h("p", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "ロックを解除する")));
  ownIds(form, "lock-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const reason = value(form, "reason") ?? "";
    if (!reason) {
      form.querySelector("[data-field=reason] .field-error")!.textContent = "解除の理由を入力してください。";
      form.querySelector("textarea")?.setAttribute("aria-invalid", "true");
      form.querySelector("textarea")?.focus();
      return;
    }
    const ok = await confirmDialog("照合ロックを解除しますか",
      h("p", {}, `保証契約番号 ${c.contract_number} の照合ロックを解除します。認証キーの誤りの回数は 0 に戻ります。`), "解除する");
    if (!ok) return;
    const button = form.querySelector("button[type=submit]") as HTMLButtonElement;
    const done = busy(button, section, "解除しています…");
    try {
      await api.call("POST", `/staff/contracts/${encodeURIComponent(c.contract_number)}/lock-release`, { reason });
      setNotice("照合ロックを解除しました。");
      await contractView(c.contract_number);
    } catch (error) {
      done();
      if (error instanceof ApiError && error.errors.length) showFieldErrors(form, error, document.getElementById("lock-form-error"));
      else form.querySelector("#lock-form-error")!.textContent = errorText(error);
    }
  });
  section.append(form);
  return section;
}

async function contractView(number: string): Promise<void> {
  const c = await api.call<StaffContract>("GET", `/staff/contracts/${encodeURIComponent(number)}`);
  const notice = takeNotice();
  const n = c.contract_number;
  const f = c.in_force;
  const labels = new Map(c.records.map((r) => [r.version, r.label]));
  const ending = c.termination
    ? `${c.termination.label}（${wareki(c.termination.date)}）：${c.termination.reason}${c.termination.refund ? `　返還 ${yen(c.termination.refund.amount)}` : ""}`
    : endingText(c.ending);
  const issuer = issuerOf(c);
  const facts = h("table", { class: "facts", id: "contract" }, h("tbody", {},
    row("保証契約番号", n),
    issuer ? row("保証会社等（発行者）", h("span", { id: "contract-issuer" }, issuerText(issuer))) : null,
    row("状態", statusBadge(c.status, c.status_label)),
    c.lock?.locked ? row("照合", h("strong", { class: "bad" }, "照合ロック中")) : null,
    ending ? row("終了", h("span", {}, ending, c.termination_statement ? h("span", {}, "　", link(c.termination_statement.url, "保証料返還計算書")) : null)) : null,
    row("商品・形式", `${c.product_label}・${c.format === "electronic" ? "電子" : "書面"}`),
    row("受注者", f?.contractor.name ?? "—"),
    row("発注者", ordererName(c.orderer_name, c.orderer_id)),
    row("取扱店", branchName(issuers, issuer?.issuer_id ?? null, c.branch_code)),
    row("現在有効な電子証書", f ? f.label : "—"),
    f ? row("工事名", f.work_name) : null,
    f ? row("保証金額・保証期限", `${yen(f.guarantee_amount)}・${wareki(f.guarantee_deadline)}`) : null,
    row("履歴の連鎖", c.chain_valid ? "正常" : h("strong", { class: "bad" }, "不整合があります")),
    row("審査中の変更申込", c.pending_change ? h("a", { href: appHref(c.pending_change) }, "変更申込を開く") : "なし"),
    row("認証キー", `第${c.key_generation}世代（キーは表示しません）`),
    row("申込", c.application_id ? h("a", { href: appHref(c.application_id) }, "新規の申込を開く") : "—")));

  const records = labelCells(h("table", { class: "list", id: "records" },
    h("caption", {}, "すべての記録（非表示の記録を含む）"),
    h("thead", {}, h("tr", {}, ...["記録", "種類", "表示", "受注者・発注者への表示", "状態", "電子保証発行日時", "保証金額", "理由", "書類"]
      .map((t, i) => h("th", { scope: "col", class: i === 0 ? "nowrap" : undefined }, t)))),
    h("tbody", {}, ...c.records.map((r) => h("tr", { class: r.shown ? undefined : "hidden-record", "data-version": String(r.version) },
      h("td", { class: "nowrap" }, String(r.version)),
      h("td", {}, (RECORD_KINDS[r.kind] ?? r.kind) + (r.target_version ? `（${labels.get(r.target_version) ?? "—"}に対して）` : "")),
      h("td", { class: "nowrap" }, r.label),
      h("td", { class: "nowrap" }, r.shown ? "表示" : h("span", { class: "badge hidden-badge" }, "非表示")),
      h("td", { class: "nowrap" }, (r.state && STATES[r.state]) ?? (r.state ? "処理中" : "—")),
      h("td", {}, wareki(r.issued_at, true)),
      h("td", { class: "num" }, yen(r.guarantee_amount)),
      h("td", { class: "wrap" }, r.reason ?? "—"),
      h("td", { class: "nowrap" }, h("span", { class: "pdf" },
        r.certificate ? link(r.certificate.url, "証書", `${r.label}の証書（記録 ${r.version}）`) : null,
        r.fee_statement ? link(r.fee_statement.url, FEE_KINDS[r.fee_kind ?? "fee"] ?? "計算書", `${r.label}の保証料計算書（記録 ${r.version}）`) : null,
        !r.certificate && !r.fee_statement ? "—" : null)))))));

  const receipts = c.receipts.length
    ? labelCells(h("table", { class: "list", id: "staff-receipts" }, h("caption", {}, "受領確認"),
      h("thead", {}, h("tr", {}, ...["発注者", "電子証書", "受領日時"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...c.receipts.map((r) => h("tr", {}, h("td", {}, r.orderer_name), h("td", {}, labels.get(r.version) ?? "—"), h("td", {}, wareki(r.received_at, true)))))))
    : h("p", {}, "受領確認はまだありません。");
  const views = c.views.length
    ? h("p", { id: "views" }, `発注者の閲覧 ${c.views.length} 回（最後：${wareki(c.views[c.views.length - 1].viewed_at, true)}）`)
    : h("p", { id: "views" }, "発注者の閲覧はまだありません。");
  const audit = labelCells(h("table", { class: "list", id: "audit" },
    h("caption", {}, "監査記録（職員の操作）"),
    h("thead", {}, h("tr", {}, ...["日時", "操作", "職員", "申込", "内容"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...c.audit.map((a) => h("tr", {},
      h("td", { class: "nowrap" }, wareki(a.at, true)), h("td", { class: "nowrap" }, ACTIONS[a.action] ?? "操作"),
      h("td", { class: "wrap" }, personName(a.staff_name)),
      h("td", { class: "nowrap" }, a.application_id ? h("a", { href: appHref(a.application_id), "aria-label": `${ACTIONS[a.action] ?? "操作"}の申込を開く` }, "開く") : "—"),
      h("td", { class: "wrap" }, detailsText(a.details, labels)))))));

  const undelivered = undeliveredMail(c.undelivered_mail);
  const pending = c.pending_approval ?? null;
  const open = c.status === "valid";
  show(h("h1", {}, `保証契約 ${n}`), notice, undelivered, pendingPanel(pending), facts, lockPanel(c),
    h("h2", {}, "電子保証履歴（表示される記録）"),
    h("p", { id: "history" }, c.history.map((e) => `${e.no}. ${e.label}（${wareki(e.issued_at, true)}）`).join("　") || "—"),
    h("h2", {}, "記録"), h("div", { class: "scroll" }, records),
    h("h2", {}, "受領確認・閲覧"), receipts, views,
    h("h2", {}, "操作"),
    pending ? h("p", { class: "help" }, "承認待ちの決定があるため、訂正・解約は承認または差し戻しの後にできます。") : null,
    h("div", { class: "operations" },
      pending ? null : correctionForm(c), cancellationForm(c), open && !pending ? terminationForm(c) : null,
      c.format === "electronic" ? keyRotationForm(c) : null),
    h("h2", {}, "監査記録"), c.audit.length ? h("div", { class: "scroll" }, audit) : h("p", {}, "操作の記録はありません。"),
    h("p", {}, h("a", { href: "#/queue" }, "申込の審査へ戻る")));
}

/** Several forms on one screen name the same fields: their ids are made the form's own. */
function ownIds(form: HTMLElement, id: string): void {
  form.querySelectorAll<HTMLElement>("[id^='f-']").forEach((el) => (el.id = `${id}-${el.id}`));
  form.querySelectorAll<HTMLLabelElement>("label[for^='f-']").forEach((el) => (el.htmlFor = `${id}-${el.htmlFor}`));
  form.querySelectorAll<HTMLElement>("[aria-describedby]").forEach((el) => el.setAttribute("aria-describedby",
    el.getAttribute("aria-describedby")!.split(" ").map((ref) => (ref.startsWith("f-") ? `${id}-${ref}` : ref)).join(" ")));
}

/** One operation: a form in a disclosure; on submit, a confirmation (its own title and body), then
 * the call with the button busy; 422 at its fields; the contract drawn again with the outcome. */
function operation(id: string, title: string, dialogTitle: string, fields: Node[], confirmBody: (form: HTMLFormElement) => Node | null,
  call: (form: HTMLFormElement) => Promise<string>, button: string, number: string): HTMLElement {
  const result = h("div", { class: "op-result", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, button);
  const form = h("form", { id, novalidate: true }, ...fields,
    h("p", { class: "field-error", id: `${id}-error`, "data-field": "body" }),
    h("p", { class: "actions" }, submit), result);
  ownIds(form, id);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    result.replaceChildren();
    const body = confirmBody(form);
    if (!body) return; // the form said itself what is missing
    const ok = await confirmDialog(dialogTitle, body, `${button}する`);
    if (!ok) return;
    const done = busy(submit, form, `${title}の処理中…`);
    try {
      setNotice(await call(form));
      await contractView(number);
    } catch (error) {
      done();
      if (error instanceof ApiError && error.status === 409) {
        setNotice(`${errorText(error)} 最新の状態を表示しました。内容を確かめてから、もう一度操作してください。`, "error");
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

function versionSelect(id: string, label: string, options: [number, string][], chosen?: number): HTMLElement {
  return h("div", { class: "field", "data-field": "version" },
    h("label", { for: id }, label),
    h("select", { id, name: "version" }, ...options.map(([v, t]) => h("option", { value: String(v), selected: v === chosen }, t))),
    h("p", { class: "field-error" }));
}

/** What 「承認待ち」 or the done action says after an operation. */
function outcome(answer: unknown, done: (answer: any) => string): string { // eslint-disable-line @typescript-eslint/no-explicit-any
  return isApproval(answer) ? pendingText(answer) : done(answer);
}

// ---- 訂正: the form opens with the chosen version's values; the confirmation shows before → after

type CorrectionField = { path: string; label: string; kind: "text" | "yen" | "date" };
const CORRECTION_FIELDS: CorrectionField[] = [
  { path: "work.name", label: "工事名", kind: "text" },
  { path: "work.contract_price", label: "請負金額（円）", kind: "yen" },
  { path: "work.contract_date", label: "請負契約日", kind: "date" },
  { path: "work.period_start", label: "工期（自）", kind: "date" },
  { path: "work.period_end", label: "工期（至）", kind: "date" },
  { path: "guarantee.amount", label: "保証金額（円）", kind: "yen" },
  { path: "guarantee.deadline", label: "保証期限", kind: "date" },
  { path: "contractor.name", label: "保証契約者名", kind: "text" },
  { path: "contractor.address", label: "保証契約者の住所", kind: "text" },
  { path: "contractor.jv_name", label: "共同企業体名", kind: "text" },
  { path: "deposit_bank", label: "預託金融機関", kind: "text" },
];

/** The values printed on a version, as far as the contract page knows them: everything for the version
 * in force; the amount and the deadline for an earlier one (its other terms are on its certificate). */
function versionValues(c: StaffContract, version: number): Record<string, string> {
  // The version in force, else the record's own statement (every shown version has one).
  const f = c.in_force && c.in_force.version === version ? c.in_force : c.records.find((r) => r.version === version)?.facts;
  if (!f) return {};
  return {
    "work.name": f.work_name, "work.contract_price": String(f.contract_price), "work.contract_date": f.contract_date,
    "work.period_start": f.period_start, "work.period_end": f.period_end,
    "guarantee.amount": String(f.guarantee_amount), "guarantee.deadline": f.guarantee_deadline,
    "contractor.name": f.contractor.name, "contractor.address": f.contractor.address, "contractor.jv_name": f.contractor.jv_name ?? "",
    deposit_bank: f.deposit_bank ?? "",
  };
}

/** A typed value as the API takes it: amounts without commas and in half-width digits. */
function typed(kind: CorrectionField["kind"], text: string): string {
  const plain = text.normalize("NFKC").trim();
  return kind === "yen" ? plain.replace(/[,円\s]/g, "") : plain;
}

function shownValue(kind: CorrectionField["kind"], text: string): string {
  if (!text) return "（空欄）";
  if (kind === "yen" && /^\d+$/.test(text)) return yen(Number(text));
  if (kind === "date" && /^\d{4}-\d{2}-\d{2}$/.test(text)) return wareki(text);
  return text;
}

function correctionForm(c: StaffContract): HTMLElement | null {
  if (!c.history.length) return null;
  const inForce = c.history.find((e) => e.version === c.in_force?.version) ?? c.history[c.history.length - 1];
  const fields = [
    versionSelect("correct-version", "訂正する電子証書", c.history.map((e) => [e.version, e.label]), inForce.version),
    h("p", { class: "help", id: "correct-help" }, "選んだ電子証書の記載内容が入っています。誤っている項目だけを書き直してください。訂正後の証書は同じ表示（新規、変更ー1 など）のまま差し替わり、元の記録は非表示になります。"),
    ...CORRECTION_FIELDS.map((f) => input(f.path, f.label, f.kind === "yen" ? { inputmode: "numeric" } : {})),
    textArea("reason", "訂正の理由", { required: true }),
  ];
  let before: Record<string, string> = {};
  const labelOf = (form: HTMLFormElement) => c.history.find((e) => String(e.version) === value(form, "version"))?.label ?? "電子証書";
  const changes = (form: HTMLFormElement) => CORRECTION_FIELDS.flatMap((f) => {
    const now = typed(f.kind, (form.elements.namedItem(f.path) as HTMLInputElement).value);
    const was = typed(f.kind, before[f.path] ?? "");
    return now !== was && now !== "" ? [{ ...f, before: was, after: now }] : [];
  });
  const element = operation("correction-form", "訂正", "訂正しますか", fields,
    (form) => {
      const changed = changes(form);
      if (!changed.length) {
        form.querySelector("#correction-form-error")!.textContent = "訂正する項目がありません。誤っている項目を書き直してください。";
        return null;
      }
      return h("div", {}, h("p", {}, `${labelOf(form)}を訂正します。発注者には訂正後の電子証書が表示されます。`),
        labelCells(h("table", { class: "list", id: "correction-diff" },
          h("caption", {}, "訂正する項目"),
          h("thead", {}, h("tr", {}, ...["項目", "訂正前", "訂正後"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, ...changed.map((f) => h("tr", { class: "changed" },
            h("th", { scope: "row" }, f.label.replace(/（円）$/, "")),
            h("td", {}, f.before ? shownValue(f.kind, f.before) : "（証書のとおり）"), h("td", {}, shownValue(f.kind, f.after))))))),
        h("p", {}, h("strong", {}, "理由："), value(form, "reason") ?? "（未入力）"));
    },
    async (form) => {
      const body: Record<string, unknown> = { reason: value(form, "reason") ?? "" };
      for (const f of changes(form)) {
        const [group, name] = f.path.includes(".") ? f.path.split(".") : [null, f.path];
        if (group) body[group] = { ...((body[group] as Record<string, string>) ?? {}), [name]: f.after };
        else body[name] = f.after;
      }
      const answer = await api.call<Schemas["Corrected"] | Approval>(
        "POST", `/staff/contracts/${encodeURIComponent(c.contract_number)}/versions/${value(form, "version")}/corrections`, body, ifMatch(c));
      return outcome(answer, (done: Schemas["Corrected"]) => `訂正しました（${done.label}、${STATES[done.state] ?? "処理中"}）。`);
    }, "訂正", c.contract_number);
  const form = element.querySelector("form")!;
  const fill = () => {
    const version = Number(value(form, "version"));
    before = versionValues(c, version);
    for (const f of CORRECTION_FIELDS) {
      const control = form.elements.namedItem(f.path) as HTMLInputElement;
      // Dates as people write them (令和), and compared as shown: an untouched date is no correction.
      if (f.kind === "date" && /^\d{4}-\d{2}-\d{2}$/.test(before[f.path] ?? "")) before[f.path] = wareki(before[f.path]);
      const v = before[f.path] ?? "";
      control.value = f.kind === "yen" && /^\d+$/.test(v) ? Number(v).toLocaleString("ja-JP") : v;
      control.placeholder = f.path in before ? "" : "証書のとおり（訂正するときだけ入力）";
    }
  };
  form.querySelector("#correct-version")!.addEventListener("change", fill);
  fill();
  return element;
}

function cancellationForm(c: StaffContract): HTMLElement | null {
  const changes = c.history.filter((e) => e.target === "変更");
  if (!changes.length) return null;
  const fields = [
    versionSelect("cancel-version", "取り消す変更", changes.map((e) => [e.version, e.label])),
    h("p", { class: "help" }, "変更取消した変更は履歴に表示されなくなり、その前の電子証書が有効に戻ります。"),
    textArea("reason", "変更取消の理由", { required: true }),
  ];
  const labelOf = (form: HTMLFormElement) => changes.find((e) => String(e.version) === value(form, "version"))?.label ?? "変更";
  return operation("cancellation-form", "変更取消", "変更を取り消しますか", fields,
    (form) => h("p", {}, `${labelOf(form)}を取り消します。その前の電子証書が有効になります。`),
    async (form) => {
      const done = await api.call<{ cancelled_label: string; in_force: { label: string } | null }>(
        "POST", `/staff/contracts/${encodeURIComponent(c.contract_number)}/versions/${value(form, "version")}/cancellation`,
        { reason: value(form, "reason") ?? "" }, ifMatch(c));
      return `${done.cancelled_label} を取り消しました。現在有効な電子証書：${done.in_force?.label ?? "—"}。`;
    }, "変更取消", c.contract_number);
}

function terminationForm(c: StaffContract): HTMLElement {
  const fields = [
    h("fieldset", { class: "field", "data-field": "kind" }, h("legend", {}, "種類"),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "kind", value: "cancelled", checked: true }), "解約"),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "kind", value: "claimed" }), "保証債務履行請求"),
      h("p", { class: "field-error" })),
    input("date", "日付", { placeholder: "例：2028-03-31", required: true }, "解約は、この日の翌日以降の保証料を返還します。"),
    textArea("reason", "理由", { required: true }),
  ];
  const kindOf = (form: HTMLFormElement) => (form.querySelector("[name=kind]:checked") as HTMLInputElement).value;
  return operation("termination-form", "解約・保証債務履行請求", "解約・保証債務履行請求を記録しますか", fields,
    (form) => h("p", {}, `${kindOf(form) === "claimed" ? "保証債務履行請求" : "解約"}（${value(form, "date") ? wareki(typed("date", value(form, "date")!)) : "日付なし"}）を記録します。取り消せません。`),
    async (form) => {
      const answer = await api.call<Schemas["Termination"] | Approval>(
        "POST", `/staff/contracts/${encodeURIComponent(c.contract_number)}/termination`,
        { kind: kindOf(form), date: value(form, "date") ?? "", reason: value(form, "reason") ?? "" }, ifMatch(c));
      return outcome(answer, (done: Schemas["Termination"]) =>
        `${done.label}を記録しました（${wareki(done.date)}）${done.refund ? `。保証料返還 ${yen(done.refund.amount)}` : ""}。`);
    }, "記録", c.contract_number);
}

function keyRotationForm(c: StaffContract): HTMLElement {
  const fields = [h("p", {}, "新しい認証キーを発行します。今の認証キーはただちに使えなくなります。新しいキーは受注者の電子保証概要に表示され、ここには表示されません。")];
  let idempotencyKey = crypto.randomUUID();
  return operation("key-rotation-form", "認証キーの再発行", "認証キーを再発行しますか", fields,
    () => h("p", {}, `保証契約番号 ${c.contract_number} の認証キーを再発行します（第${c.key_generation}世代 → 第${c.key_generation + 1}世代）。`),
    async () => {
      const done = await api.call<{ key_generation: number }>("POST", `/staff/contracts/${encodeURIComponent(c.contract_number)}/key-rotation`,
        undefined, { "Idempotency-Key": idempotencyKey, ...ifMatch(c) });
      idempotencyKey = crypto.randomUUID();
      return `認証キーを再発行しました（第${done.key_generation}世代）。受注者にお知らせください。`;
    }, "再発行", c.contract_number);
}

// ------------------------------------------------------------------ routing

const NAV: [string, string][] = [
  ["#/queue", "審査待ち"],
  ["#/approvals", "承認待ち"],
  [searchHref({ worklist: "expiring" }), "期限間近"],
  [searchHref({ worklist: "changes" }), "変更申込あり"],
  ["#/contracts", "保証契約の検索"],
];

/** The nav marks where the user is (aria-current). */
function markNav(): void {
  const here = location.hash || "#/queue";
  document.querySelectorAll<HTMLAnchorElement>("#nav a").forEach((a) => {
    const href = a.getAttribute("href") ?? "";
    const current = href === here || (href === "#/queue" && /^#\/(queue|applications)/.test(here))
      || (href === "#/approvals" && here.startsWith("#/approvals"));
    if (current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
}

async function route(): Promise<void> {
  const [path, query = ""] = (location.hash.replace(/^#/, "") || "/queue").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  markNav();
  try {
    if (parts[0] === "applications" && parts[1]) await applicationView(parts[1]);
    else if (parts[0] === "contracts" && parts[1]) await contractView(parts[1]);
    else if (parts[0] === "contracts") await searchView(new URLSearchParams(query), myIssuer);
    else if (parts[0] === "approvals" && parts[1]) await approvalView(parts[1]);
    else if (parts[0] === "approvals") await approvalsView();
    else await queueView();
    document.getElementById("main")?.focus();
  } catch (error) {
    show(h("h1", {}, "審査デスク"), message(errorText(error)), h("p", {}, h("a", { href: "#/queue" }, "申込の審査へ戻る")));
  }
}

/** The header names who is signed in (the ID token's name) and the issuer they work for
 * (custom:issuer_id; none: the default issuer's staff, as the API reads it): everything on this desk is that issuer's. */
async function showWho(token: string): Promise<void> {
  const who = claims(token);
  setMe(String(who.sub ?? ""));
  [issuers] = await Promise.all([loadIssuers(), readOrdererNames()]);
  const id = String(who["custom:issuer_id"] ?? "") || DEFAULT_ISSUER_ID;
  myIssuer = issuers.find((e) => e.issuer_id === id);
  document.getElementById("staff-issuer")?.remove();
  document.getElementById("staff-name")?.remove();
  const brand = document.querySelector(".bar .brand");
  const name = typeof who.name === "string" && who.name.trim() ? who.name : null;
  if (myIssuer) brand?.after(h("span", { class: "issuer-name", id: "staff-issuer" }, issuerText(myIssuer)));
  if (name) (document.getElementById("staff-issuer") ?? brand)?.after(h("span", { class: "who", id: "staff-name" }, `${name} さん`));
}

void boot(FRONT, async () => {
  if (!(await session(FRONT))) await signIn(FRONT);
  await showWho((await session(FRONT))!);
  nav(FRONT, NAV);
  window.addEventListener("hashchange", () => void route());
  await route();
});
