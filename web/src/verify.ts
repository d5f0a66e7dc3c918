// The orderer's front: 発注者デスク (every guarantee presented to this orderer, no key to retype) and
// 保証確認 (number + key, for a guarantee presented by notice).
//
// Views are chosen by the address's fragment: #/desk?view=…&q=… (the list, the default), #/guarantees/<number>
// (?version=…) (one guarantee from the desk, without a key), #/verify (the number + key form).
// The notice's QR code opens /verify?contract_number=…#auth_key=…. The key is read from the
// fragment (never sent to any server in a URL), the fragment is dropped from the address bar at
// once, and the key is posted to the API in the request body only. Across the sign-in redirect the
// pre-filled form waits in this tab's sessionStorage, and is removed once shown.
import "./style.css";
import {
  Api, ApiError, boot, claims, confirmDialog, drafts, endingText, h, labelCells, message, nav, problemsText, session, show, signIn,
  statusBadge, untilText, wareki, yen, type Schemas,
} from "./common";
import type {
  Correction, Department, DeskEvent, DeskExport, DeskGuarantee, DeskPage, DeskReceiptsAnswer, DeskRow, RegistryOrderer,
} from "./desk_types";
import { issuerOf, issuerText, loadIssuers, type IssuerEntry } from "./issuers";

const FRONT = "orderer";
const DRAFT = "verify";

interface Form {
  contract_number: string;
  auth_key: string;
}

type Answer = Schemas["Verification"];
type Receipt = Schemas["ReceiptRecorded"];

/** Where a certificate view came from: the typed number and key, or the desk (no key). */
type Source = { kind: "key"; typed: Form } | { kind: "desk"; number: string };

/** Take the QR link's values out of the address bar; keep them only for this form. */
function takeFromUrl(): Partial<Form> {
  const taken: Partial<Form> = {};
  const query = new URLSearchParams(location.search);
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
  const number = query.get("contract_number");
  const key = fragment.get("auth_key");
  if (number) taken.contract_number = number;
  if (key) taken.auth_key = key;
  if (key || number) {
    // Drop the fragment (and the query) from the address bar and the history entry.
    history.replaceState(null, "", location.pathname);
  }
  return taken;
}

const api = new Api(FRONT, () => saveForm());

/** Who is signed in (their subject: a 受領確認 they recorded reads あなた) and their orderer and department. */
const me = { subject: "", ordererId: "", departmentId: "" };
let registry: RegistryOrderer[] = [];
/** Every issuer, retired ones too: what they issued stays on the desk, and the desk filters by them. */
let issuers: IssuerEntry[] = [];

// ------------------------------------------------------------------ 保証確認 (number + key)

const FIELD_NAMES: Record<string, string> = { contract_number: "保証契約番号", auth_key: "認証キー", version: "版" };

function field(name: keyof Form, label: string, value: string, extra: Record<string, string> = {}): HTMLElement {
  return h("div", { class: "field", "data-field": name },
    h("label", { for: name }, label),
    h("input", { id: name, name, value, autocomplete: "off", spellcheck: "false", required: true, "aria-describedby": `${name}-error`, ...extra }),
    h("p", { class: "field-error", id: `${name}-error` }));
}

function currentForm(): Form | null {
  const number = document.getElementById("contract_number") as HTMLInputElement | null;
  const key = document.getElementById("auth_key") as HTMLInputElement | null;
  return number && key ? { contract_number: number.value, auth_key: key.value } : null;
}

function saveForm(): void {
  const form = currentForm();
  if (form) drafts.save(DRAFT, form);
}

function clearFieldErrors(form: HTMLElement): void {
  form.querySelectorAll(".field-error").forEach((slot) => (slot.textContent = ""));
  form.querySelectorAll("[aria-invalid]").forEach((control) => control.removeAttribute("aria-invalid"));
}

/** A refusal in the clerk's words: which field and why (422), until when and whom to call (429). */
function refusalText(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  if (error.status === 422 && error.errors.length) return problemsText(error, FIELD_NAMES).join(" ");
  if (error.status === 429) {
    const until = error.retryAfter ? `${untilText(error.retryAfter)}まで` : "しばらく";
    // Whom to call, as the API reads it from the typed number: the issuer and branch the number names.
    const contact = error.answer.contact as { issuer_name?: string; branch_name?: string; phone?: string } | undefined;
    const whom = contact?.issuer_name && contact.branch_name && contact.phone
      ? `お急ぎの場合は、保証会社の支店に電話でお問い合わせください（${contact.issuer_name} ${contact.branch_name}　電話 ${contact.phone}）。`
      : "お急ぎの場合は、お知らせに記載の保証会社の支店に電話でお問い合わせください。";
    return `認証に続けて失敗したため、${until}照会できません。認証キーは受注者から届いた「認証キー」のお知らせでご確認ください（大文字・小文字を区別します）。`
      + whom;
  }
  return error.message;
}

function renderForm(values: Partial<Form>, notice?: HTMLElement): void {
  const form = h("form", { id: "verify-form", novalidate: true },
    field("contract_number", "保証契約番号", values.contract_number ?? "", { inputmode: "latin" }),
    field("auth_key", "認証キー", values.auth_key ?? "", { inputmode: "latin", "aria-describedby": "auth_key-error auth_key_help" }),
    h("p", { id: "auth_key_help", class: "help" }, "「認証キー」のお知らせに記載の英数字（大文字・小文字を区別します）"),
    h("p", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "閲覧")));
  const result = h("section", { id: "result", "aria-live": "polite" });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    const typed = currentForm()!;
    const empty = (["contract_number", "auth_key"] as const).filter((name) => !typed[name].trim());
    if (empty.length) {
      for (const name of empty) {
        document.getElementById(`${name}-error`)!.textContent = `${FIELD_NAMES[name]}を入力してください。`;
        document.getElementById(name)!.setAttribute("aria-invalid", "true");
      }
      document.getElementById(empty[0])!.focus();
      result.replaceChildren(message("保証契約番号と認証キーを入力してください。"));
      return;
    }
    void viewByKey(result, form, typed);
  });
  show(h("h1", {}, "保証確認"),
    h("p", { class: "help" }, "「認証キー」のお知らせで提示された保証は、保証契約番号と認証キーで閲覧します。閲覧した保証は発注者デスクに載り、次からは認証キーなしで開けます。"),
    notice ?? null, form, result);
}

/** The certificate for the typed number and key: the version in force, or `version` of its history. */
async function viewByKey(result: HTMLElement, form: HTMLElement | null, typed: Form, version?: number): Promise<void> {
  result.setAttribute("aria-busy", "true");
  if (version === undefined) result.replaceChildren(h("p", {}, "照会中…"));
  try {
    const answer = await api.call<Answer>("POST", "/verifications", version === undefined ? typed : { ...typed, version });
    drafts.drop(DRAFT);
    document.getElementById("prefilled")?.remove(); // the form's values have been used
    result.replaceChildren(...certificateView(answer, { kind: "key", typed }, result));
    if (version !== undefined) document.getElementById("certificate-title")?.focus();
  } catch (error) {
    result.replaceChildren(message(refusalText(error)));
    if (form && error instanceof ApiError && error.status === 422) {
      // Each problem also at its field, so the clerk sees which box to correct.
      let first: HTMLElement | null = null;
      for (const problem of error.errors) {
        const name = problem.field.split(".").filter((part) => part !== "body")[0] ?? "";
        const slot = form.querySelector<HTMLElement>(`#${CSS.escape(name)}-error`);
        const control = form.querySelector<HTMLElement>(`#${CSS.escape(name)}`);
        if (!slot || !control) continue;
        slot.textContent = problemsText(new ApiError(422, "", [problem]), {}).join(" ");
        control.setAttribute("aria-invalid", "true");
        first = first ?? control;
      }
      first?.focus();
    }
  } finally {
    result.removeAttribute("aria-busy");
  }
}

// ------------------------------------------------------------------ the certificate (both ways)

function row(label: string, value: string | Node): HTMLElement {
  return h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, value));
}

/** 表示 / ダウンロード / 印刷 of the shown version's PDF. Each opens in its own tab: the clerk's screen (and
 * the typed key) stays as it is. */
function pdfActions(pdfUrl: string, c: Schemas["Certificate"]): HTMLElement {
  const filename = `certificate-${c.contract_number}-v${String(c.version).padStart(3, "0")}.pdf`;
  const label = c.label;
  return h("span", { class: "pdf" },
    h("a", { href: pdfUrl, target: "_blank", rel: "noopener", "aria-label": `${label}のPDFを表示` }, "表示"),
    h("a", { href: pdfUrl, download: filename, rel: "noopener", "aria-label": `${label}のPDFをダウンロード` }, "ダウンロード"),
    // A link, not window.open(…, "noopener") (which answers null, so the page itself went to the PDF).
    h("a", { href: pdfUrl, target: "_blank", rel: "noopener", class: "print", "aria-label": `${label}のPDFを新しいタブで開いて印刷` }, "印刷"));
}

function correctionText(correction: Correction): string {
  return `訂正（${wareki(correction.corrected_at, true)}）`;
}

function replacedText(correction: Correction): string {
  const issued = correction.replaces.issued_at ? `${wareki(correction.replaces.issued_at, true)} 発行` : "発行日時不明";
  return `訂正前の電子証書：${issued}、SHA-256 ${correction.replaces.sha256}`;
}

function certificateView(answer: Answer | DeskGuarantee, source: Source, result: HTMLElement): Node[] {
  const c = answer.certificate as DeskGuarantee["certificate"];
  const label = c.label;
  const current = answer.current_version ?? answer.history[answer.history.length - 1]?.version;
  const inForce = current === undefined || c.version === current;
  const latest = answer.history.find((entry) => entry.version === current);
  const contractor = c.contractor.jv_name ? `${c.contractor.name}（${c.contractor.jv_name}）` : c.contractor.name;
  const ending = endingText(answer.ending);
  const desk = source.kind === "desk" ? (answer as DeskGuarantee) : null;
  const correction = c.correction ?? null;
  const issuer = issuerOf(answer);
  const facts = h("table", { class: "facts", id: "certificate" },
    h("caption", {}, `電子保証の内容（${label}）`),
    h("tbody", {},
      answer.status ? row("状態", statusBadge(answer.status, answer.status_label)) : null,
      ending ? row("終了", ending) : null,
      row("区分", label),
      correction ? row("訂正", h("span", { id: "correction" }, correctionText(correction), h("br"),
        h("span", { class: "help hash" }, replacedText(correction)))) : null,
      row("電子保証発行日時", wareki(c.issued_at, true)),
      row("商品", c.product_label),
      issuer ? row("保証会社等（発行者）", h("span", { id: "certificate-issuer" }, issuerText(issuer))) : null,
      row("保証契約番号", c.contract_number),
      row("工事名", c.work_name),
      row("被保証者", c.beneficiary),
      row("保証契約者", c.contractor.address ? h("span", {}, contractor, h("br"), h("span", { class: "help" }, c.contractor.address)) : contractor),
      row("請負金額（総額）", yen(c.contract_price)),
      row("保証金額（総額）", yen(c.guarantee_amount)),
      row("工期", `${wareki(c.period_start)} ～ ${wareki(c.period_end)}`),
      c.contract_date ? row("請負契約日", wareki(c.contract_date)) : null,
      row("保証期限", wareki(c.guarantee_deadline)),
      c.deposit_bank ? row("預託金融機関", c.deposit_bank) : null,
      desk?.desk ? row("提示", presentationText(desk.desk)) : null,
      row("電子証書", pdfActions(answer.pdf_url, c)),
      row("SHA-256", h("code", { class: "hash" }, c.sha256))));
  const deposit = h("p", { class: "deposit" },
    `この画面に表示している電子証書は、${issuer ? issuer.name : "保証会社"}が本サービスに掲載した寄託の電子証書です`
    + `（${!issuer || issuer.kind === "surety" ? "保証証書（書面）" : "書面"}の発行は行わない電子的な取扱となります）。`);
  const chain = answer.chain_valid === undefined ? null : answer.chain_valid
    ? h("p", { class: "message info", id: "chain" }, "履歴の連鎖：正常です。新規から最新までの電子証書に改ざんはありません。")
    : h("p", { class: "message error", id: "chain", role: "alert" }, "履歴の連鎖：不整合があります。保証会社にお問い合わせください。");
  // An ended guarantee stays on view: the deposit is still this certificate, under its status.
  const ended = answer.status && answer.status !== "valid"
    ? h("p", { class: "message ended", id: "ended" }, answer.status === "expired"
      ? `この保証は保証期限（${wareki(c.guarantee_deadline)}）を過ぎ、期限満了となっています。電子証書は引き続き閲覧できます。`
      : `この保証は${answer.ending ? `${wareki(answer.ending.date)}に` : ""}${answer.status_label ?? "終了"}となりました。電子証書は引き続き閲覧できます。`)
    : null;
  const older = inForce ? null : message(
    `表示しているのは ${label} です。現在有効な電子証書は ${latest ? latest.label : "最新の版"} です。`, "info");
  const corrected = correction
    ? h("p", { class: "message ended", id: "corrected" },
      `この電子証書（${label}）は${wareki(correction.corrected_at, true)}に訂正されました。訂正前の電子証書（${
        correction.replaces.issued_at ? `${wareki(correction.replaces.issued_at, true)} 発行` : "発行日時不明"}）に代わるものです。`)
    : null;
  // 変更取消: the design puts the withdrawn changes on the answer or on the history entry they followed.
  const withdrawnChanges = desk ? desk.history.flatMap((entry) => entry.withdrawn ?? []) : [];
  const withdrawn = withdrawnChanges.length
    ? h("ul", { class: "message ended", id: "withdrawn" }, ...withdrawnChanges.map((w) =>
      h("li", {}, `${w.label} は${wareki(w.cancelled_at, true)}に変更取消されました${w.reason ? `（理由：${w.reason}）` : ""}。履歴には表示されません。`)))
    : null;

  const versions = labelCells(h("table", { class: "list", id: "versions" },
    h("caption", {}, "電子保証履歴（訂正、変更取消された履歴は表示されません）"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "No."), h("th", { scope: "col" }, "電子保証発行日時"),
      h("th", { scope: "col" }, "対象"), h("th", { scope: "col" }, "電子保証"))),
    h("tbody", {}, ...(answer.history as DeskGuarantee["history"]).map((entry) => {
      const entryLabel = entry.label;
      const shown = entry.version === c.version;
      let cell: Node;
      if (shown) {
        cell = h("span", { class: "pdf" }, h("strong", {}, "表示中"), pdfActions(answer.pdf_url, c));
      } else if (source.kind === "desk") {
        cell = h("a", { href: guaranteeHref(source.number, entry.version), "aria-label": `${entryLabel}を選択` }, "選択");
      } else {
        const choose = h("button", { type: "button", class: "link", "aria-label": `${entryLabel}を選択` }, "選択");
        choose.addEventListener("click", () => void viewByKey(result, null, source.typed, entry.version));
        cell = choose;
      }
      const mark = entry.correction ? `　${correctionText(entry.correction)}` : "";
      return h("tr", { class: shown ? "current" : undefined, "data-version": String(entry.version) },
        h("td", {}, String(entry.no)), h("td", {}, wareki(entry.issued_at, true)),
        h("td", {}, entryLabel + (entry.version === current ? "（最新）" : "") + mark), h("td", {}, cell));
    }))));
  const receipt = source.kind === "key" ? receiptByKey(answer as Answer, source.typed) : receiptOnDesk(answer as DeskGuarantee);
  const parts: (Node | null)[] = [h("h2", { id: "certificate-title", tabindex: "-1" }, `電子証書（${label}）`), ended, corrected, withdrawn, older,
    deposit, chain, facts, receipt, versions];
  if (desk) parts.push(...deskSections(desk));
  return parts.filter((part): part is Node => part !== null);
}

/** 受領確認 by number + key: the orderer records receiving the version shown (the API keeps the first record). */
function receiptByKey(answer: Answer, typed: Form): HTMLElement {
  const c = answer.certificate;
  return receiptSection(c.contract_number, c.label, answer.received_at
    ? `受領確認済みです（${c.label}、${wareki(answer.received_at, true)}）。` : null, async () => {
    const receipt = await api.call<Receipt>("POST", "/verifications/receipts", { ...typed, version: c.version });
    return `受領確認を記録しました（${c.label}、${wareki(receipt.received_at, true)}）。`;
  });
}

/** 受領確認 from the desk: of the version shown; one already recorded says who and when instead. */
function receiptOnDesk(answer: DeskGuarantee): HTMLElement {
  const c = answer.certificate;
  const done = answer.receipts.find((r) => r.version === c.version && !r.superseded);
  return receiptSection(c.contract_number, c.label, done
    ? `受領確認済みです（${done.label}、${whoText(done.received_by)}、${wareki(done.received_at, true)}）。` : null, async () => {
    const answered = await api.call<DeskReceiptsAnswer>("POST", "/desk/receipts", { items: [{ contract_number: c.contract_number, version: c.version }] });
    const r = answered.items[0];
    return r.new
      ? `受領確認を記録しました（${r.label}、${wareki(r.received_at, true)}）。`
      : `受領確認済みでした（${r.label}、${whoText(r.received_by)}、${wareki(r.received_at, true)}）。`;
  });
}

function receiptSection(number: string, label: string, already: string | null, record: () => Promise<string>): HTMLElement {
  const outcome = h("div", { id: "receipt-result", "aria-live": "polite" });
  const section = h("section", { class: "receipt", "aria-labelledby": "receipt-title" }, h("h2", { id: "receipt-title" }, "受領確認"));
  if (already) {
    section.append(h("p", { class: "message info", id: "receipt-done" }, already));
    return section;
  }
  const button = h("button", { type: "button", class: "primary", id: "receipt" }, "受領確認");
  button.addEventListener("click", async () => {
    const ok = await confirmDialog("受領確認",
      h("p", {}, `保証契約番号 ${number} の電子証書（${label}）を受領したことを記録します。受注者にも表示されます。`), "受領を記録する");
    if (!ok) return;
    button.disabled = true;
    try {
      outcome.replaceChildren(message(await record(), "info"));
      button.remove();
    } catch (error) {
      button.disabled = false;
      outcome.replaceChildren(message(refusalText(error)));
    }
  });
  section.append(h("p", {}, "内容を確認しましたら「受領確認」を押してください。受領を記録し、受注者の画面にも表示します。"),
    h("p", { class: "actions" }, button), outcome);
  return section;
}

// ------------------------------------------------------------------ 発注者デスク: one guarantee

const EVENT_KINDS: Record<string, string> = {
  submitted: "提出", presented: "認証キーで閲覧（提示）", registered: "新規の掲載", changed: "変更の掲載", corrected: "訂正",
  change_cancelled: "変更取消", terminated: "解約", claimed: "履行請求", received: "受領確認",
};

function guaranteeHref(number: string, version?: number): string {
  return `#/guarantees/${encodeURIComponent(number)}${version === undefined ? "" : `?version=${version}`}`;
}

function whoText(subject: string | null): string {
  return subject && subject === me.subject ? "あなた" : "同じ発注者の担当者";
}

function viaText(row: DeskRow): string {
  return row.via === "submission" ? "提出" : "認証キー";
}

function presentationText(row: DeskRow): string {
  const where = row.department_name ? `（${row.department_name}）` : "";
  return `${viaText(row)}${where}　${wareki(row.presented_at, true)}`;
}

function deskSections(answer: DeskGuarantee): Node[] {
  const number = answer.certificate.contract_number;
  const evidenceResult = h("div", { id: "evidence-result", "aria-live": "polite" });
  const evidence = h("button", { type: "button", id: "evidence" }, "証拠一式をダウンロード");
  evidence.addEventListener("click", async () => {
    evidence.disabled = true;
    evidenceResult.replaceChildren(h("p", { class: "help" }, "証拠一式（電子証書と寄託記録）を作成しています…"));
    try {
      const { url } = await api.call<{ url: string }>("GET", `/desk/guarantees/${encodeURIComponent(number)}/evidence`);
      download(url, `evidence-${number}.zip`);
      evidenceResult.replaceChildren(message("証拠一式（ZIP）のダウンロードを始めました。", "info"));
    } catch (error) {
      evidenceResult.replaceChildren(message(refusalText(error)));
    } finally {
      evidence.disabled = false;
    }
  });
  const receipts = answer.receipts.length
    ? labelCells(h("table", { class: "list", id: "desk-receipts" },
      h("caption", {}, "受領確認の記録"),
      h("thead", {}, h("tr", {}, ...["対象", "受領確認", "記録した人", "日時"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...answer.receipts.map((r) => h("tr", {},
        h("td", {}, r.label), h("td", {}, r.superseded ? "受領済み（訂正前）" : "受領済み"),
        h("td", {}, whoText(r.received_by)), h("td", {}, wareki(r.received_at, true)))))))
    : h("p", { id: "desk-receipts" }, "受領確認はまだありません。");
  const events = answer.events.length
    ? labelCells(h("table", { class: "list", id: "events" },
      h("caption", {}, "この保証の出来事（古い順）"),
      h("thead", {}, h("tr", {}, ...["日時", "出来事", "対象"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...answer.events.map((e: DeskEvent) => h("tr", { "data-kind": e.kind },
        h("td", { class: "nowrap" }, wareki(e.at, true)), h("td", {}, EVENT_KINDS[e.kind] ?? "その他"), h("td", {}, e.label ?? "—"))))))
    : null;
  return [
    h("section", { class: "receipt", "aria-labelledby": "evidence-title" },
      h("h2", { id: "evidence-title" }, "証拠一式"),
      h("p", {}, "提示を受けた各版の電子証書（PDF）と、提示・受領確認の経過と履歴の検証結果を記した署名付きの寄託記録（PDF）をまとめてダウンロードします。契約の一件書類には画面の印刷ではなく、こちらを綴ってください。"),
      h("p", { class: "actions" }, evidence), evidenceResult),
    h("h2", {}, "受領確認の記録"), receipts,
    events ? h("h2", {}, "出来事") : null, events,
    h("p", { class: "actions" }, h("a", { href: "#/desk" }, "発注者デスクの一覧へ戻る")),
  ].filter((part): part is HTMLElement => part !== null);
}

/** Start a download of a link the API gave (a presigned S3 URL): the page stays as it is. */
function download(url: string, filename: string): void {
  const link = h("a", { href: url, download: filename, rel: "noopener", hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
}

async function guaranteeView(number: string, version?: number): Promise<void> {
  show(h("h1", {}, "発注者デスク"), h("p", {}, "読み込み中…"));
  const result = h("section", { id: "result", "aria-live": "polite" });
  try {
    const query = version === undefined ? "" : `?version=${version}`;
    const answer = await api.call<DeskGuarantee>("GET", `/desk/guarantees/${encodeURIComponent(number)}${query}`);
    result.replaceChildren(...certificateView(answer, { kind: "desk", number }, result));
    show(h("h1", {}, `保証契約番号 ${number}`), h("p", {}, h("a", { href: "#/desk" }, "発注者デスクの一覧へ戻る")), result);
  } catch (error) {
    const text = error instanceof ApiError && error.status === 404
      ? "この保証は発注者デスクにありません。「認証キー」のお知らせで提示された保証は、保証確認から閲覧してください。"
      : refusalText(error);
    show(h("h1", {}, `保証契約番号 ${number}`), message(text), h("p", {}, h("a", { href: "#/desk" }, "発注者デスクの一覧へ戻る")));
  }
}

// ------------------------------------------------------------------ 発注者デスク: the list

const VIEWS: [string, string][] = [["attention", "要確認"], ["changed", "変更あり"], ["expiring", "期限間近"], ["all", "すべて"]];
const SORTS: [string, string][] = [["presented", "提示の新しい順"], ["changed", "更新の新しい順"], ["expiry", "保証期限の近い順"]];
const PRODUCT_CHOICES: [string, string][] = [["", "すべての商品"], ["advance_payment", "前払金保証"], ["contract", "契約保証"], ["interim_advance_payment", "中間前払金保証"]];
const STATUS_CHOICES: [string, string][] = [["", "すべての状態"], ["valid", "有効"], ["expired", "期限満了"], ["terminated", "解約"], ["claimed", "履行請求"]];
const PAGE = 50;

interface DeskState {
  view: string;
  q: string;
  product: string;
  status: string;
  issuer: string; // an issuer_id, or "" for all
  department: string;
  sort: string;
  cursors: (string | null)[]; // each page's cursor so far (the last: this page's)
}

function deskState(query: URLSearchParams): DeskState {
  const pick = (name: string, choices: [string, string][], fallback: string) => {
    const value = query.get(name) ?? fallback;
    return choices.some(([v]) => v === value) ? value : fallback;
  };
  return {
    view: pick("view", VIEWS, "attention"), q: query.get("q") ?? "", product: pick("product", PRODUCT_CHOICES, ""),
    status: pick("status", STATUS_CHOICES, ""), issuer: (query.get("issuer_id") ?? "").slice(0, 64),
    department: query.get("department") ?? "", sort: pick("sort", SORTS, "presented"),
    cursors: [null],
  };
}

function deskHref(state: DeskState, change: Partial<DeskState> = {}): string {
  const s = { ...state, ...change };
  const query = new URLSearchParams({ view: s.view });
  if (s.q) query.set("q", s.q);
  if (s.product) query.set("product", s.product);
  if (s.status) query.set("status", s.status);
  if (s.issuer) query.set("issuer_id", s.issuer);
  if (s.department) query.set("department", s.department);
  if (s.sort !== "presented") query.set("sort", s.sort);
  return `#/desk?${query}`;
}

function filters(state: DeskState): URLSearchParams {
  const query = new URLSearchParams({ view: state.view, sort: state.sort });
  if (state.q.trim()) query.set("q", state.q.trim());
  if (state.product) query.set("product", state.product);
  if (state.status) query.set("status", state.status);
  if (state.issuer) query.set("issuer_id", state.issuer);
  if (state.department) query.set("department", state.department);
  return query;
}

function myOrderer(): RegistryOrderer | undefined {
  return registry.find((o) => o.orderer_id === me.ordererId);
}

function myDepartment(): Department | undefined {
  return myOrderer()?.departments?.find((d) => d.department_id === me.departmentId);
}

function whoseDesk(): string {
  const orderer = myOrderer()?.name ?? "";
  const department = myDepartment();
  if (me.departmentId) return `${orderer} ${department?.name ?? "所属部署"}に提示された保証を表示しています（部署の受付分のみ）。`;
  return `${orderer}に提示されたすべての保証を表示しています。`;
}

function receiptCell(r: DeskRow): Node {
  if (!r.receipt) return h("span", { class: "badge pending" }, "未確認");
  if (r.receipt.current && r.receipt.version === r.version) {
    return h("span", {}, h("span", { class: "badge status-valid" }, "受領済み"), h("br"),
      h("span", { class: "help" }, `${r.receipt.label}・${whoText(r.receipt.received_by)}・${wareki(r.receipt.received_at, true)}`));
  }
  // Recorded on a version that was since corrected (or changed): the version in force still needs one.
  return h("span", {}, h("span", { class: "badge status-expired" }, r.receipt.current ? `受領済み（${r.receipt.label}）` : "受領済み（訂正前）"), h("br"),
    h("span", { class: "help" }, `${whoText(r.receipt.received_by)}・${wareki(r.receipt.received_at, true)}`));
}

function confirmedInForce(r: DeskRow): boolean {
  return !!r.receipt && r.receipt.current && r.receipt.version === r.version;
}

function labelCell(r: DeskRow): Node {
  return h("span", {}, r.label, r.corrected ? h("span", { class: "badge status-terminated corrected" }, "訂正") : null);
}

async function deskView(state: DeskState): Promise<void> {
  const query = filters(state);
  query.set("limit", String(PAGE));
  const cursor = state.cursors[state.cursors.length - 1];
  if (cursor) query.set("cursor", cursor);
  const tabs = h("nav", { class: "tabs", "aria-label": "一覧の絞り込み" }, ...VIEWS.map(([value, text]) =>
    h("a", { href: deskHref(state, { view: value }), "aria-current": value === state.view ? "page" : undefined, "data-view": value }, text)));
  const search = searchForm(state);
  const notice = takeNotice();
  show(h("h1", {}, "発注者デスク"), h("p", { id: "whose-desk" }, whoseDesk()), tabs, search, notice, h("p", { "aria-live": "polite" }, "読み込み中…"));
  let page: DeskPage;
  try {
    page = await api.call<DeskPage>("GET", `/desk/guarantees?${query}`);
  } catch (error) {
    show(h("h1", {}, "発注者デスク"), h("p", { id: "whose-desk" }, whoseDesk()), tabs, search, message(refusalText(error)));
    return;
  }
  const rows = page.items;
  const chosen = new Set<string>();
  const confirm = h("button", { type: "button", class: "primary", id: "bulk-receipt", disabled: true }, "選択した保証の受領確認");
  const count = h("span", { class: "help", id: "chosen-count", "aria-live": "polite" }, "保証を選択してください。");
  const sync = () => {
    confirm.disabled = chosen.size === 0;
    confirm.textContent = chosen.size ? `受領確認（${chosen.size} 件）` : "選択した保証の受領確認";
    count.textContent = chosen.size ? `${chosen.size} 件を選択しています。` : "保証を選択してください。";
  };
  const tickable = rows.filter((r) => !confirmedInForce(r));
  const all = h("input", { type: "checkbox", id: "tick-all", "aria-label": "この一覧の未確認の保証をすべて選択", disabled: tickable.length === 0 });
  all.addEventListener("change", () => {
    document.querySelectorAll<HTMLInputElement>("#desk input.tick").forEach((tick) => {
      tick.checked = all.checked;
      if (all.checked) chosen.add(tick.value); else chosen.delete(tick.value);
    });
    sync();
  });
  const byNumber = new Map(rows.map((r) => [r.contract_number, r]));
  const table = labelCells(h("table", { class: "list desk", id: "desk" },
    h("caption", {}, `${VIEWS.find(([v]) => v === state.view)?.[1]}（${state.cursors.length} ページ目、${rows.length} 件）`),
    h("thead", {}, h("tr", {}, h("th", { scope: "col", class: "tick-col" }, all),
      ...["保証契約番号", "工事名・受注者", "商品・発行者", "保証金額", "保証期限", "区分・状態", "提示", "受領確認"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...rows.map((r) => {
      let tick: Node;
      if (confirmedInForce(r)) tick = h("span", { class: "help" }, "済");
      else {
        const box = h("input", { type: "checkbox", class: "tick", value: r.contract_number, "aria-label": `${r.contract_number}（${r.project_name}）を選択` });
        box.addEventListener("change", () => {
          if (box.checked) chosen.add(r.contract_number); else chosen.delete(r.contract_number);
          sync();
        });
        tick = box;
      }
      return h("tr", { "data-contract": r.contract_number, class: r.needs_attention ? "attention" : undefined },
        h("td", { class: "tick-col" }, tick),
        h("td", { class: "nowrap" }, h("a", { href: guaranteeHref(r.contract_number) }, r.contract_number),
          r.needs_attention ? h("span", { class: "badge status-expired attention-badge" }, "要確認") : null),
        h("td", { class: "wrap project" }, h("span", { class: "project-name" }, r.project_name), h("br"), h("span", { class: "help" }, r.contractor_name)),
        // One column for both: ten columns would not fit 1366 px, and a name squeezed into its own
        // narrow column breaks after every character.
        h("td", { class: "wrap desk-issuer" }, h("span", { class: "nowrap" }, r.product_name), h("br"),
          h("span", { class: "help" }, issuerOf(r)?.name ?? r.issuer_name ?? "—")),
        h("td", { class: "num" }, yen(r.amount)),
        h("td", { class: "nowrap" }, wareki(r.expiry), r.expiring_soon ? h("br") : null, r.expiring_soon ? h("span", { class: "badge status-expired" }, "期限間近") : null),
        h("td", { class: "nowrap" }, labelCell(r), h("br"), statusBadge(r.status, r.status_label)),
        h("td", { class: "presented" }, viaText(r), h("br"), h("span", { class: "help" }, `${wareki(r.presented_at, true)}${r.department_name ? `　${r.department_name}` : ""}`)),
        h("td", {}, receiptCell(r)));
    }))));
  const outcome = h("div", { id: "bulk-result", "aria-live": "polite" });
  confirm.addEventListener("click", async () => {
    const items = [...chosen].map((number) => ({ contract_number: number, version: byNumber.get(number)!.version }));
    const ok = await confirmDialog("受領確認", h("div", {},
      h("p", {}, `次の ${items.length} 件の電子証書を受領したことを記録します。受注者にも表示されます。`),
      h("ul", {}, ...items.map((item) => h("li", {}, `${item.contract_number}（${byNumber.get(item.contract_number)!.label}）`)))), "受領を記録する");
    if (!ok) return;
    confirm.disabled = true;
    try {
      const answered = await api.call<DeskReceiptsAnswer>("POST", "/desk/receipts", { items });
      const recorded = answered.items.filter((r) => r.new);
      const before = answered.items.filter((r) => !r.new);
      nextNotice = h("div", { id: "bulk-notice" },
        message(`受領確認を記録しました（${recorded.length} 件）。`, "info"),
        before.length ? h("ul", { class: "message info" }, ...before.map((r) =>
          h("li", {}, `${r.contract_number}（${r.label}）は受領確認済みでした：${whoText(r.received_by)}、${wareki(r.received_at, true)}`))) : null);
      await deskView({ ...state });
    } catch (error) {
      confirm.disabled = false;
      outcome.replaceChildren(message(refusalText(error)));
    }
  });

  const previous = h("button", { type: "button", disabled: state.cursors.length === 1 }, "前へ");
  previous.addEventListener("click", () => void deskView({ ...state, cursors: state.cursors.slice(0, -1) }));
  const next = h("button", { type: "button", disabled: !page.next_cursor }, "次へ");
  next.addEventListener("click", () => void deskView({ ...state, cursors: [...state.cursors, page.next_cursor] }));

  show(h("h1", {}, "発注者デスク"), h("p", { id: "whose-desk" }, whoseDesk()), tabs, search, notice,
    rows.length
      ? h("div", {}, h("p", { class: "actions bulk" }, confirm, count), outcome, table, h("p", { class: "actions pager" }, previous, next))
      : h("p", { id: "desk-empty" }, emptyText(state)),
    exportSection(state));
}

function emptyText(state: DeskState): string {
  if (state.q.trim()) return `「${state.q.trim()}」に当てはまる保証はありません。`;
  return state.view === "attention" ? "要確認の保証はありません。" : "該当する保証はありません。";
}

function select(id: string, label: string, choices: [string, string][], value: string): HTMLElement {
  return h("p", { class: "field inline" }, h("label", { for: id }, label),
    h("select", { id, name: id }, ...choices.map(([v, t]) => h("option", { value: v, selected: v === value }, t))));
}

function searchForm(state: DeskState): HTMLElement {
  const departments: [string, string][] = (myOrderer()?.departments ?? []).map((d) => [d.department_id, d.name]);
  const form = h("form", { class: "filters desk-search", id: "desk-search", role: "search" },
    h("div", { class: "field" }, h("label", { for: "desk-q" }, "検索（工事名・受注者・保証契約番号）"),
      h("input", { id: "desk-q", name: "q", type: "search", value: state.q, autocomplete: "off", "aria-describedby": "desk-q-help" }),
      h("p", { class: "help", id: "desk-q-help" }, "全角で入力しても検索できます。")),
    select("desk-product", "商品", PRODUCT_CHOICES, state.product),
    select("desk-status", "状態", STATUS_CHOICES, state.status),
    issuers.length > 1 ? select("desk-issuer", "発行者", [["", "すべての発行者"], ...issuers.map((e): [string, string] => [e.issuer_id, issuerText(e)])], state.issuer) : null,
    !me.departmentId && departments.length ? select("desk-department", "担当部署", [["", "すべての部署"], ...departments], state.department) : null,
    select("desk-sort", "並び順", SORTS, state.sort),
    h("p", { class: "actions" }, h("button", { type: "submit" }, "検索")));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = (id: string) => (form.querySelector<HTMLInputElement | HTMLSelectElement>(`#${id}`)?.value ?? "");
    location.hash = deskHref(state, {
      q: value("desk-q").trim(), product: value("desk-product"), status: value("desk-status"), issuer: value("desk-issuer"),
      department: value("desk-department"), sort: value("desk-sort") || "presented",
    });
  });
  return form;
}

function exportSection(state: DeskState): HTMLElement {
  const result = h("div", { id: "export-result", "aria-live": "polite" });
  const button = h("button", { type: "submit", id: "export" }, "CSV 出力");
  const form = h("form", { id: "export-form", class: "receipt" },
    h("h2", { id: "export-title" }, "CSV 出力"),
    h("p", {}, "いま表示している絞り込みのすべての保証を、財務会計・契約管理システムに取り込める CSV で出力します。"),
    h("fieldset", { class: "field" }, h("legend", {}, "文字コード"),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "encoding", value: "utf-8", checked: true }), "UTF-8"),
      h("label", { class: "choice" }, h("input", { type: "radio", name: "encoding", value: "cp932" }), "Shift_JIS（CP932）")),
    h("p", { class: "help" }, "Shift_JIS（CP932）で表せない文字は「〓」に置き換え、置き換えた文字をここに一覧で示します。"),
    h("p", { class: "actions" }, button), result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const encoding = (form.querySelector("input[name=encoding]:checked") as HTMLInputElement).value;
    const query = filters(state);
    query.set("format", "csv");
    query.set("encoding", encoding);
    button.disabled = true;
    result.replaceChildren(h("p", { class: "help" }, "CSV を作成しています…"));
    try {
      const answer = await api.call<DeskExport>("GET", `/desk/export?${query}`);
      download(answer.url, `desk-${encoding}.csv`);
      const substituted = answer.substituted ?? [];
      result.replaceChildren(message(`CSV（${encoding === "cp932" ? "Shift_JIS（CP932）" : "UTF-8"}、${answer.rows} 件）のダウンロードを始めました。`, "info"),
        substituted.length
          ? labelCells(h("table", { class: "list", id: "substituted" },
            h("caption", {}, `Shift_JIS（CP932）で表せず「〓」に置き換えた文字（${substituted.length} 件）`),
            h("thead", {}, h("tr", {}, ...["保証契約番号", "項目", "元の文字"].map((t) => h("th", { scope: "col" }, t)))),
            h("tbody", {}, ...substituted.map((s) => h("tr", {},
              h("td", { class: "nowrap" }, s.contract_number), h("td", {}, s.column), h("td", { class: "char" }, s.character))))))
          : h("p", { id: "substituted" }, encoding === "cp932" ? "置き換えた文字はありません。" : ""));
    } catch (error) {
      result.replaceChildren(message(refusalText(error)));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

let nextNotice: HTMLElement | null = null;

function takeNotice(): HTMLElement | null {
  const notice = nextNotice;
  nextNotice = null;
  return notice;
}

// ------------------------------------------------------------------ routing

function markNav(path: string): void {
  document.querySelectorAll<HTMLAnchorElement>("#nav a").forEach((a) => {
    const here = a.getAttribute("href") === "#/verify" ? path === "verify" : path !== "verify";
    if (here) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
  });
}

let keyForm: Partial<Form> | null = null; // the QR link's (or the sign-in's saved) values, for the first view

async function route(): Promise<void> {
  const [path, search = ""] = location.hash.replace(/^#\/?/, "").split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  const query = new URLSearchParams(search);
  const toKeyForm = parts[0] === "verify" || (!parts.length && keyForm !== null);
  markNav(toKeyForm ? "verify" : "desk");
  document.getElementById("main")?.classList.toggle("wide", !toKeyForm && parts[0] !== "guarantees");
  if (toKeyForm) {
    const values = keyForm ?? {};
    const prefilled = keyForm?.auth_key ? message("「認証キー」のお知らせの内容を入力しました。確認して「閲覧」を押してください。", "info") : undefined;
    prefilled?.setAttribute("id", "prefilled");
    keyForm = null;
    renderForm(values, prefilled);
  } else if (parts[0] === "guarantees" && parts[1]) {
    const version = Number(query.get("version"));
    await guaranteeView(parts[1], Number.isInteger(version) && version > 0 ? version : undefined);
  } else {
    await deskView(deskState(query));
  }
  document.getElementById("main")?.focus();
}

// At once, before anything is awaited: the key leaves the address bar before the page does anything else.
const fromUrl = takeFromUrl();

void boot(FRONT, async () => {
  let token = await session(FRONT);
  if (!token) {
    // Remember the QR link's values (this tab only) and sign in first.
    const saved = drafts.load<Form>(DRAFT);
    if (fromUrl.contract_number || fromUrl.auth_key || saved) {
      drafts.save(DRAFT, { contract_number: fromUrl.contract_number ?? saved?.contract_number ?? "", auth_key: fromUrl.auth_key ?? saved?.auth_key ?? "" });
    }
    await signIn(FRONT);
  }
  token = (await session(FRONT))!;
  const who = claims(token);
  me.subject = String(who.sub ?? "");
  me.ordererId = String(who["custom:orderer_id"] ?? "");
  me.departmentId = String(who["custom:department_id"] ?? "");
  nav(FRONT, [["#/desk", "発注者デスク"], ["#/verify", "保証確認"]]);
  const saved = drafts.load<Form>(DRAFT);
  drafts.drop(DRAFT); // the key stays in the form only
  if (saved || fromUrl.contract_number || fromUrl.auth_key) keyForm = { ...(saved ?? {}), ...fromUrl };
  [registry, issuers] = await Promise.all([
    api.call<{ orderers: RegistryOrderer[] }>("GET", "/orderers").then((a) => a.orderers).catch(() => []), loadIssuers()]);
  window.addEventListener("hashchange", () => void route().catch((error) => show(message(refusalText(error)))));
  await route();
});
