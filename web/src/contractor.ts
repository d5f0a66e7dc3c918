// Net Desk (受注者): 保証申込, 保証契約一覧, 電子保証概要 (with the 認証キー), 電子保証履歴一覧.
// Views are chosen by the address's fragment (#/apply, #/contracts, #/contracts/<number>, …).
import "./style.css";
import {
  APPLICATION_KIND, APPLICATION_STATUS, Api, ApiError, PRODUCTS, boot, claims, clearFieldErrors, confirmDialog, drafts, errorJa, endingText, fieldBox, h,
  input, labelCells, message, nav, fileSize, openInWindow, problemsText, productLabel, session, show, showFieldErrors, signIn, statusBadge, wareki, yen,
  type Schemas,
} from "./common";
import type { ContractPresentation, RegistryOrderer, Submission } from "./desk_types";
import { ERROR_MESSAGES } from "./error_messages";
import {
  DEFAULT_ISSUER_ID, DOCUMENT_TITLES, branchName, branchesOf, documentTitle, issuerCell, issuerOf, issuerText, loadIssuers, offering, preferred,
  type Acceptances, type IssuerEntry,
} from "./issuers";

const FRONT = "contractor";
const DRAFT = "apply";

interface Orderer extends Acceptances {
  orderer_id: string;
  name: string;
}

// The form's controls are named by the API's field paths, so a 422 lands on the control it names.
type Draft = Record<string, string> & { idempotency_key: string };

let formOpen = false;
const api = new Api(FRONT, () => {
  if (formOpen) drafts.save(DRAFT, readForm());
  const change = changeOpen ? readChange() : null;
  if (change) drafts.save(CHANGE_DRAFT, change);
});

function today(): string {
  const now = new Date(Date.now() + 9 * 3600_000); // JST
  return now.toISOString().slice(0, 10);
}

// ------------------------------------------------------------------ 保証申込

function radios(name: string, legend: string, options: [string, string][], checked: string): HTMLElement {
  return h("fieldset", { class: "field", "data-field": name },
    h("legend", {}, legend),
    ...options.map(([value, text]) => h("label", { class: "choice" },
      h("input", { type: "radio", name, value, checked: value === checked }), text)),
    h("p", { class: "field-error", id: `f-${name}-error` }));
}

function select(name: string, label: string, options: [string, string][]): HTMLElement {
  const id = `f-${name.replace(/\./g, "-")}`;
  return h("div", { class: "field", "data-field": name },
    h("label", { for: id }, label),
    h("select", { id, name, "aria-describedby": `${id}-error` }, ...options.map(([v, t]) => h("option", { value: v }, t))),
    h("p", { class: "field-error", id: `${id}-error` }));
}

function readForm(): Draft {
  const form = document.getElementById("apply-form") as HTMLFormElement | null;
  const values: Record<string, string> = {};
  // A chosen file is not kept (it cannot be put back into a file input): its upload's id and name are.
  if (form) new FormData(form).forEach((v, k) => { if (typeof v === "string") values[k] = v; });
  values.idempotency_key = (form?.dataset.idempotencyKey as string) ?? crypto.randomUUID();
  return values as Draft;
}

const INTERIM = "interim_advance_payment";

function body(values: Draft): unknown {
  const text = (k: string) => (values[k] ?? "").trim();
  const optional = (k: string) => text(k) || null;
  return {
    product: values.product,
    format: values.format,
    notify_email: values.notify === "yes" ? text("notify_email") : null,
    branch_code: values.branch_code,
    orderer_id: values.orderer_id,
    // The issuer chosen (without one the API takes the default surety: an old draft had none).
    ...(values.issuer_id ? { issuer_id: values.issuer_id } : {}),
    work: {
      name: text("work.name"), kind: values["work.kind"], contract_price: text("work.contract_price"),
      contract_date: text("work.contract_date"), period_start: text("work.period_start"), period_end: text("work.period_end"),
      // 契約保証 only: its floor is 3/10 of the price after a 低入札価格調査 (1/10 otherwise).
      ...(values.product === "contract" ? { low_bid_investigation: values["work.low_bid_investigation"] === "yes" } : {}),
    },
    guarantee: { amount: text("guarantee.amount"), deadline: text("guarantee.deadline") },
    contractor: { name: text("contractor.name"), address: text("contractor.address"), jv_name: optional("contractor.jv_name") },
    // 契約保証 holds no advance at a bank: the field is hidden then, and a prefilled value not sent.
    deposit_bank: values.product === "contract" ? null : optional("deposit_bank"),
    // 中間前払金保証 only (the API refuses them for any other product).
    ...(values.product === INTERIM
      ? { upload_id: optional("upload_id"), advance_contract_number: optional("advance_contract_number") }
      : {}),
  };
}

// ------------------------------------------------------------------ 中間前払金保証: 認定調書 and the 前払金保証

/** Until the API's first answer names it (max_bytes), the limit the API has always had. */
let uploadLimit = 10 * 1024 * 1024;
const CHECK_TRIES = 12; // the upload is judged after it arrives (an S3-triggered function)
const CHECK_WAIT_MS = 2_000;

interface Upload { upload_id: string; url: string; fields: Record<string, string>; max_bytes: number; expires_in: number }

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Digits of an amount as typed (full-width digits and commas too); NaN when there are none. */
function amountOf(text: string): number {
  const digits = text.replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0)).replace(/[^0-9]/g, "");
  return digits ? Number(digits) : NaN;
}

/** The multipart form to the bucket: the presigned fields first, the file last (S3 reads fields up to the file). */
function postToBucket(upload: Upload, file: File, onProgress: (share: number) => void): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const data = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) data.append(name, value);
    if (!Object.keys(upload.fields).some((name) => name.toLowerCase() === "content-type")) data.append("Content-Type", "application/pdf");
    data.append("file", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", upload.url);
    xhr.upload.addEventListener("progress", (event) => event.lengthComputable && onProgress(event.loaded / event.total));
    xhr.addEventListener("load", () => resolve({ status: xhr.status, text: xhr.responseText }));
    xhr.addEventListener("error", () => reject(new Error("network")));
    xhr.addEventListener("timeout", () => reject(new Error("timeout")));
    xhr.timeout = 120_000;
    xhr.send(data);
  });
}

/** What S3 said when it refused the form (its XML error's Code), in the screen's words. */
function bucketRefusal(status: number, text: string): string {
  const code = new DOMParser().parseFromString(text || "<x/>", "application/xml").querySelector("Code")?.textContent ?? "";
  if (code === "EntityTooLarge") return `ファイルが上限（${fileSize(uploadLimit)}）を超えています。`;
  if (code === "EntityTooSmall") return "ファイルが空です。";
  if (code === "AccessDenied") return "アップロードの期限が切れたか、受け付けられませんでした。もう一度ファイルを選んでください。";
  return `アップロードできませんでした（${code || status}）。もう一度ファイルを選んでください。`;
}

function limitSentence(): string {
  return `PDFファイル 1 つ、${fileSize(uploadLimit)}まで。発注者が発行した中間前払金の認定調書を添付してください。`;
}

function interimSection(): HTMLElement {
  const limit = h("p", { class: "help", id: "f-upload_id-help" }, limitSentence());
  return h("section", { id: "interim", "aria-labelledby": "interim-title", hidden: true },
    h("h2", { id: "interim-title" }, "中間前払金保証"),
    h("p", { class: "help" }, "中間前払金保証は、前払金保証を受けている工事の中間前払金（請負金額の2割以内）を保証します。前払金保証の保証契約番号と、発注者の認定調書が必要です。"),
    h("div", { class: "field", "data-field": "advance_contract_number" },
      h("label", { for: "f-advance_contract_number" }, "前払金保証の保証契約番号"),
      h("select", { id: "f-advance_contract_number", name: "advance_contract_number", "aria-describedby": "f-advance_contract_number-error f-advance_contract_number-help" },
        h("option", { value: "" }, "選択してください")),
      h("p", { class: "help", id: "f-advance_contract_number-help" }, "御社の前払金保証から選びます。「前払金保証の内容を写す」で工事・受注者・預託金融機関・保証期限を入力できます。"),
      h("p", { class: "actions" }, h("button", { type: "button", id: "copy-advance" }, "前払金保証の内容を写す")),
      h("p", { class: "field-error", id: "f-advance_contract_number-error" })),
    h("div", { class: "field", "data-field": "upload_id" },
      h("label", { for: "f-upload_id" }, "認定調書（PDF）"),
      h("input", { id: "f-upload_id", type: "file", accept: "application/pdf,.pdf", "aria-describedby": "f-upload_id-error f-upload_id-help upload-status" }),
      limit,
      h("progress", { id: "upload-progress", max: "100", value: "0", hidden: true, "aria-label": "認定調書のアップロード" }),
      h("p", { class: "upload-status", id: "upload-status", role: "status" }),
      h("p", { class: "field-error", id: "f-upload_id-error" })));
}

interface ContractChoice { contract_number: string; work_name: string; orderer_name: string; product: string }

/** The interim section's behaviour: the 前払金保証 to choose (and copy), the upload on choosing a file. */
function wireInterim(form: HTMLFormElement, orderers: Orderer[], offer: (wantIssuer?: string | null) => void): { ready: () => Promise<void>; show: (advanceNumber?: string) => void } {
  const section = form.querySelector<HTMLElement>("#interim")!;
  const product = form.querySelector<HTMLSelectElement>("[name=product]")!;
  const advance = form.querySelector<HTMLSelectElement>("#f-advance_contract_number")!;
  const copy = form.querySelector<HTMLButtonElement>("#copy-advance")!;
  const file = form.querySelector<HTMLInputElement>("#f-upload_id")!;
  const uploadId = form.querySelector<HTMLInputElement>("[name=upload_id]")!;
  const uploadName = form.querySelector<HTMLInputElement>("[name=upload_name]")!;
  const progress = form.querySelector<HTMLProgressElement>("#upload-progress")!;
  const status = form.querySelector<HTMLElement>("#upload-status")!;
  const fileError = form.querySelector<HTMLElement>("#f-upload_id-error")!;
  const limitHelp = form.querySelector<HTMLElement>("#f-upload_id-help")!;
  const amountHelp = form.querySelector<HTMLElement>("#f-guarantee-amount-help")!;
  const price = form.querySelector<HTMLInputElement>("#f-work-contract_price")!;
  let contracts: ContractChoice[] | null = null;
  let wanted = advance.value;
  let uploading: Promise<void> | null = null;

  const loadContracts = async () => {
    if (contracts) return;
    contracts = (await api.call<{ contracts: ContractChoice[] }>("GET", "/contracts")).contracts.filter((c) => c.product === "advance_payment");
    advance.replaceChildren(h("option", { value: "" }, contracts.length ? "選択してください" : "前払金保証の保証契約がありません"),
      ...contracts.map((c) => h("option", { value: c.contract_number }, `${c.contract_number}　${c.work_name}（${c.orderer_name}）`)));
    if (contracts.some((c) => c.contract_number === wanted)) advance.value = wanted;
  };
  advance.addEventListener("change", () => (wanted = advance.value));

  const limitText = () => {
    const interim = product.value === INTERIM;
    const max = Math.floor(amountOf(price.value) * 2 / 10);
    amountHelp.hidden = !interim;
    amountHelp.textContent = `中間前払金保証の保証金額は請負金額の2割以内です${Number.isFinite(max) && max > 0 ? `（上限 ${yen(max)}）` : ""}。`;
  };
  price.addEventListener("input", limitText);

  const showSection = () => {
    const interim = product.value === INTERIM;
    section.hidden = !interim;
    limitText();
    if (interim) loadContracts().catch((error) => (form.querySelector("#f-advance_contract_number-error")!.textContent = String(error.message ?? error)));
  };
  product.addEventListener("change", showSection);

  copy.addEventListener("click", async () => {
    const errorSlot = form.querySelector<HTMLElement>("#f-advance_contract_number-error")!;
    errorSlot.textContent = "";
    if (!advance.value) {
      errorSlot.textContent = "前払金保証の保証契約番号を選んでください。";
      advance.focus();
      return;
    }
    try {
      const d = await api.call<Detail>("GET", contractPath(advance.value));
      const c = d.certificate;
      if (!c) throw new Error("この前払金保証はまだ発行手続中です。");
      const set = (name: string, value: string | number | null | undefined) => {
        const control = form.querySelector<HTMLInputElement>(`[name="${name}"]:not([type=radio])`);
        if (control) control.value = value === null || value === undefined ? "" : String(value);
      };
      set("work.name", c.work_name);
      set("work.contract_price", c.contract_price);
      // Dates as people write them (the API reads 令和 as it reads ISO).
      const day = (iso: string | null | undefined) => (iso ? wareki(iso) : "");
      set("work.contract_date", day(c.contract_date));
      set("work.period_start", day(c.period_start));
      set("work.period_end", day(c.period_end));
      set("guarantee.deadline", day(c.guarantee_deadline));
      set("contractor.name", c.contractor.name);
      set("contractor.address", c.contractor.address);
      set("contractor.jv_name", c.contractor.jv_name);
      set("deposit_bank", c.deposit_bank);
      form.querySelectorAll<HTMLInputElement>("[name='work.kind']").forEach((r) => (r.checked = r.value === (c.work_kind ?? "construction")));
      offer();
      const ordererSelect = form.querySelector<HTMLSelectElement>("[name=orderer_id]")!;
      if (c.orderer_id && orderers.some((o) => o.orderer_id === c.orderer_id)) ordererSelect.value = c.orderer_id;
      offer(issuerOf(d)?.issuer_id); // the 中間前払金保証 follows its 前払金保証's issuer, where that one offers it
      limitText();
      drafts.save(DRAFT, readForm());
      errorSlot.textContent = "";
      form.querySelector("#copy-result")?.remove();
      copy.after(h("span", { id: "copy-result", class: "help", role: "status" },
        `前払金保証 ${d.contract_number} の内容を写しました。保証金額を入力してください。`));
    } catch (error) {
      errorSlot.textContent = error instanceof Error ? error.message : String(error);
    }
  });

  const upload = async (chosen: File) => {
    uploadId.value = "";
    uploadName.value = "";
    fileError.textContent = "";
    file.removeAttribute("aria-invalid");
    const refuse = (text: string) => {
      progress.hidden = true;
      status.textContent = "";
      fileError.textContent = text;
      file.setAttribute("aria-invalid", "true");
    };
    document.getElementById("apply-result")?.replaceChildren(); // what was said of an earlier file
    document.getElementById("apply-summary")?.replaceChildren();
    if (!/\.pdf$/i.test(chosen.name) && chosen.type !== "application/pdf") return refuse("PDFファイルを選んでください。");
    if (chosen.size === 0) return refuse("ファイルが空です。");
    if (chosen.size > uploadLimit) return refuse(`ファイルが上限（${fileSize(uploadLimit)}）を超えています。`);
    status.textContent = `${chosen.name} をアップロードしています…`;
    progress.value = 0;
    progress.hidden = false;
    try {
      const answer = await api.call<Upload>("POST", "/applications/uploads");
      uploadLimit = answer.max_bytes;
      limitHelp.textContent = limitSentence();
      if (chosen.size > uploadLimit) return refuse(`ファイルが上限（${fileSize(uploadLimit)}）を超えています。`);
      const sent = await postToBucket(answer, chosen, (share) => {
        progress.value = Math.round(share * 100);
        status.textContent = `${chosen.name} をアップロードしています…（${Math.round(share * 100)}%）`;
      });
      if (sent.status < 200 || sent.status >= 300) return refuse(bucketRefusal(sent.status, sent.text));
      progress.hidden = true;
      uploadId.value = answer.upload_id;
      uploadName.value = chosen.name;
      status.textContent = `${chosen.name}（${fileSize(chosen.size)}）を添付しました。PDFであることを保証会社のシステムが確認します。`;
      drafts.save(DRAFT, readForm());
    } catch (error) {
      if (error instanceof ApiError) return refuse(error.message);
      refuse("アップロードできませんでした（通信エラー）。もう一度ファイルを選んでください。");
    }
  };
  file.addEventListener("change", () => {
    const chosen = file.files?.[0];
    if (!chosen) return;
    uploading = upload(chosen).finally(() => (uploading = null));
  });

  return {
    ready: async () => {
      if (uploading) await uploading;
    },
    show: (advanceNumber?: string) => {
      wanted = advanceNumber || advance.value || wanted;
      if (uploadId.value && uploadName.value) status.textContent = `${uploadName.value} を添付済みです。`;
      showSection();
    },
  };
}

/** A 422 that says only that the 認定調書 has not been judged yet (it arrived, or is about to). */
function notCheckedYet(error: unknown): boolean {
  return error instanceof ApiError && error.status === 422 && error.errors.length > 0 &&
    error.errors.every((p) => /(^|\.)upload_id$/.test(p.field) && p.code === "upload_pending");
}

// ------------------------------------------------------------------ 保証申込: prefill, 確認画面, 申込む

type Profile = Schemas["Profile"];
type Estimate = Schemas["Estimate"];
type ApplicationDetail = Schemas["ApplicationDetail"];
type StoredRequest = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const CONTRACT = "contract";

/** The form's fields by the API's field paths, in the words of the screen (the error summary names them so). */
const FIELD_LABELS: Record<string, string> = {
  product: "商品", format: "証書の形式", notify_email: "メールアドレス", orderer_id: "発注者", orderer: "発注者",
  issuer_id: "保証会社等（発行者）", branch_code: "取扱店", "work.name": "工事名", "work.kind": "種別",
  "work.contract_price": "請負金額", "work.contract_date": "請負契約日", "work.period_start": "工期（自）",
  "work.period_end": "工期（至）", "work.low_bid_investigation": "低入札価格調査", "guarantee.amount": "保証金額",
  "guarantee.deadline": "保証期限", "contractor.name": "受注者名", "contractor.address": "住所",
  "contractor.jv_name": "共同企業体名", contractor: "受注者", deposit_bank: "預託金融機関", upload_id: "認定調書",
  advance_contract_number: "前払金保証の保証契約番号", "Idempotency-Key": "申込み",
};

/** 申込番号 as read over the phone (the API's `reference`): the id's first 8 hex digits, upper-case, in two groups. */
function referenceOf(applicationId: string): string {
  const head = applicationId.slice(0, 8).toUpperCase();
  return `${head.slice(0, 4)}-${head.slice(4)}`;
}

let profileCache: Profile | null = null;

async function loadProfile(fresh = false): Promise<Profile | null> {
  if (fresh || !profileCache) profileCache = await api.call<Profile>("GET", "/profile").catch(() => null);
  return profileCache;
}

/** The header says who is signed in: the company of the profile, else the ID token's name. */
function showWho(profile: Profile | null, token: string | null): void {
  const slot = document.getElementById("who");
  if (!slot) return;
  const named = token ? claims(token).name : undefined;
  const name = profile?.contractor?.name ?? (typeof named === "string" ? named : "");
  slot.textContent = name ? `${name} 様` : "";
}

/** A date field: typed as people write it (令和8年12月1日, R8.12.1, 2026/12/1, full-width), or picked
 * from the calendar beside it (which writes the 令和 form into the field). */
function dateField(name: string, label: string): HTMLElement {
  const box = input(name, label, { placeholder: "例：令和8年12月1日", required: true });
  const text = box.querySelector("input")!;
  const picker = h("input", { type: "date", class: "picker", "aria-label": `${label}をカレンダーから選ぶ`, min: "1989-01-08" });
  picker.addEventListener("change", () => {
    if (!picker.value) return;
    text.value = wareki(picker.value);
    text.dispatchEvent(new Event("input", { bubbles: true }));
  });
  const row = h("div", { class: "date-row" });
  text.replaceWith(row);
  row.append(text, picker);
  return box;
}

/** The summary at the top of a refused form: every problem, each naming its field; a click goes to the field. */
function errorSummary(form: HTMLElement, error: ApiError): HTMLElement {
  const texts = problemsText(error, FIELD_LABELS);
  const items = error.errors.map((problem, i) => {
    const control = fieldBox(form, problem.field, false)?.querySelector<HTMLElement>("input, select, textarea");
    if (!control || control.closest("[hidden]")) return h("li", {}, texts[i]);
    const go = h("button", { type: "button", class: "link" }, texts[i]);
    go.addEventListener("click", () => control.focus());
    return h("li", {}, go);
  });
  return h("div", { class: "error-summary", id: "error-summary", role: "alert", tabindex: "-1" },
    h("h2", {}, `入力内容に誤りがあります（${error.errors.length}件）`),
    h("p", {}, "次の項目を直してから、もう一度お進みください。"),
    h("ul", {}, ...items));
}

/** A 422 on a form: the summary at `summarySlot`, each message at its field; the summary takes the focus. */
function showProblems(form: HTMLElement, summarySlot: HTMLElement, error: ApiError): void {
  clearFieldErrors(form);
  if (!error.errors.length) {
    summarySlot.replaceChildren(message(error.code ? errorJa(error.code) : error.message));
    return;
  }
  showFieldErrors(form, error, null);
  const summary = errorSummary(form, error);
  summarySlot.replaceChildren(summary);
  summary.focus();
}

/** A stored application's body (dates ISO) as the form's values (dates in 令和). */
function valuesOfRequest(request: StoredRequest): Record<string, string> {
  const text = (v: unknown) => (v === null || v === undefined ? "" : String(v));
  const work = request.work ?? {};
  const guarantee = request.guarantee ?? {};
  const contractor = request.contractor ?? {};
  return {
    product: text(request.product), format: text(request.format),
    notify: request.notify_email ? "yes" : "no", notify_email: text(request.notify_email),
    orderer_id: text(request.orderer_id), issuer_id: text(request.issuer_id), branch_code: text(request.branch_code),
    "work.name": text(work.name), "work.kind": text(work.kind || "construction"), "work.contract_price": text(work.contract_price),
    "work.contract_date": work.contract_date ? wareki(work.contract_date) : "",
    "work.period_start": work.period_start ? wareki(work.period_start) : "",
    "work.period_end": work.period_end ? wareki(work.period_end) : "",
    "work.low_bid_investigation": work.low_bid_investigation ? "yes" : "",
    "guarantee.amount": text(guarantee.amount), "guarantee.deadline": guarantee.deadline ? wareki(guarantee.deadline) : "",
    "contractor.name": text(contractor.name), "contractor.address": text(contractor.address), "contractor.jv_name": text(contractor.jv_name),
    deposit_bank: text(request.deposit_bank), advance_contract_number: text(request.advance_contract_number),
  };
}

/** What the profile fills in: the company, its bank and e-mail, the orderer applied to last. */
function valuesOfProfile(profile: Profile): Record<string, string> {
  const values: Record<string, string> = {};
  if (profile.contractor) {
    values["contractor.name"] = profile.contractor.name;
    values["contractor.address"] = profile.contractor.address;
    values["contractor.jv_name"] = profile.contractor.jv_name ?? "";
  }
  if (profile.deposit_bank) values.deposit_bank = profile.deposit_bank;
  if (profile.notify_email) {
    values.notify = "yes";
    values.notify_email = profile.notify_email;
  }
  if (profile.last_orderer_id) values.orderer_id = profile.last_orderer_id;
  return values;
}

function fillControls(form: HTMLFormElement, values: Record<string, string>): void {
  for (const [name, value] of Object.entries(values)) {
    form.querySelectorAll<HTMLInputElement>(`[name="${name}"]`).forEach((c) => {
      if (c.type === "radio") c.checked = c.value === value;
      else if (c.type === "checkbox") c.checked = value === c.value;
      else c.value = value;
    });
  }
}

/** Only the chosen product's fields: 契約保証 has no 預託金融機関 and asks whether the award went
 * through a 低入札価格調査 (3/10 instead of 1/10); the 中間前払金保証's own section shows itself. */
function showProductFields(form: HTMLFormElement): void {
  const product = form.querySelector<HTMLSelectElement>("[name=product]")!.value;
  form.querySelector<HTMLElement>("[data-field=deposit_bank]")!.hidden = product === CONTRACT;
  form.querySelector<HTMLElement>("#contract-only")!.hidden = product !== CONTRACT;
}

interface Previous { application_id: string; reference?: string | null; label: string }

/** 「前回の申込から作成」: the company's earlier applications (not changes), newest first. */
async function previousSection(): Promise<HTMLElement | null> {
  const rows = await api.call<{ applications: ApplicationRow[] }>("GET", "/applications").then((a) => a.applications).catch(() => []);
  const earlier: Previous[] = rows.filter((a) => a.kind !== "change").slice(0, 30).map((a) => ({
    application_id: a.application_id, reference: a.reference,
    label: `${a.reference ?? ""}　${wareki(a.submitted_at)}　${productLabel(a.product ?? "")}　${a.work_name ?? ""}（${APPLICATION_STATUS[a.status] ?? a.status}）`,
  }));
  if (!earlier.length) return null;
  const choice = h("select", { id: "f-previous", "aria-describedby": "f-previous-help" },
    ...earlier.map((p) => h("option", { value: p.application_id }, p.label)));
  const start = h("button", { type: "button", id: "from-previous" }, "前回の申込から作成");
  start.addEventListener("click", () => (location.hash = `#/apply/from/${encodeURIComponent(choice.value)}`));
  return h("section", { class: "previous", "aria-labelledby": "previous-title" },
    h("h2", { id: "previous-title" }, "前回の申込から作成"),
    h("div", { class: "field" }, h("label", { for: "f-previous" }, "もとにする申込"), choice,
      h("p", { class: "help", id: "f-previous-help" }, "選んだ申込の内容をこの画面に写します。工事名・金額・日付を確かめて、変わったところを直してください。")),
    h("p", { class: "actions" }, start));
}

/** The rows of an application as it is (or would be) stored: the 確認画面 and the application read again. */
function requestRows(request: StoredRequest, orderers: Orderer[], issuers: IssuerEntry[]): HTMLElement[] {
  const work = request.work ?? {};
  const guarantee = request.guarantee ?? {};
  const contractor = request.contractor ?? {};
  const issuerId = request.issuer_id || DEFAULT_ISSUER_ID;
  const issuer = issuers.find((e) => e.issuer_id === issuerId);
  const orderer = request.orderer_id
    ? orderers.find((o) => o.orderer_id === request.orderer_id)?.name ?? request.orderer_id
    : request.orderer ? `${request.orderer.name}（被保証者：${request.orderer.beneficiary_name}）` : "—";
  const product = request.product as string;
  const rows: (HTMLElement | null)[] = [
    row("商品", productLabel(product)),
    row("証書の形式", request.format === "electronic" ? "電子保証" : "書面"),
    row("発行のお知らせメール", request.notify_email ? request.notify_email : "希望しない"),
    row("発注者", orderer),
    row("保証会社等（発行者）", issuer ? issuerText(issuer) : issuerId),
    row("取扱店", branchName(issuers, issuerId, request.branch_code)),
    product === INTERIM ? row("前払金保証の保証契約番号", request.advance_contract_number ?? "—") : null,
    product === INTERIM ? row("認定調書", request.upload_id ? "添付済み（PDF）" : "—") : null,
    row("工事名", work.name ?? "—"),
    row("種別", work.kind === "service" ? "業務" : "工事"),
    row("請負金額", yen(work.contract_price)),
    row("請負契約日", wareki(work.contract_date)),
    row("工期", `${wareki(work.period_start)} ～ ${wareki(work.period_end)}`),
    product === CONTRACT ? row("低入札価格調査", work.low_bid_investigation ? "低入札価格調査を経た契約" : "該当しない") : null,
    row("保証金額", yen(guarantee.amount)),
    row("保証期限", wareki(guarantee.deadline)),
    row("受注者名", contractor.name ?? "—"),
    row("住所", contractor.address ?? "—"),
    row("共同企業体名", contractor.jv_name || "—"),
    product === CONTRACT ? null : row("預託金融機関", request.deposit_bank ?? "—"),
  ];
  return rows.filter((r): r is HTMLElement => r !== null);
}

/** 保証料（見込み）: the fee if issued today, with the computation its 保証料計算書 prints. */
function feeSection(estimate: Estimate): HTMLElement {
  return h("section", { class: "fee-estimate", id: "fee-estimate", "aria-labelledby": "fee-title" },
    h("h2", { id: "fee-title" }, "保証料（見込み）"),
    h("p", { class: "fee-amount" }, yen(estimate.fee)),
    h("p", { class: "help" }, `本日（${wareki(estimate.issue_date)}）発行した場合の保証料です。保証期間は${wareki(estimate.issue_date)}から${wareki(estimate.deadline)}まで（${estimate.days}日）。`
      + "発行日が変わると日数に応じて変わります。確定した金額は発行時の保証料計算書でお知らせします。"),
    h("ul", { class: "breakdown" }, ...estimate.breakdown.map((line) => h("li", {}, line))),
    h("p", { class: "help" }, `${estimate.issuer.name}の料率表（${estimate.table_name || "料率表"}${estimate.sample ? "・サンプル料率" : ""}）による計算です。`));
}

/** Calls `send` until a 認定調書 still being judged has been judged (the API answers 422 upload_pending till then). */
async function untilChecked<T>(send: () => Promise<T>, result: HTMLElement): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (!notCheckedYet(error) || attempt >= CHECK_TRIES) throw error;
      result.replaceChildren(h("p", { class: "message info", role: "status", id: "check-progress" },
        `認定調書がPDFであることを確認しています…（${attempt} / ${CHECK_TRIES}）`));
      await sleep(CHECK_WAIT_MS);
    }
  }
}

async function applyView(fromId: string | null = null): Promise<void> {
  const [orderers, issuers, profile, source] = await Promise.all([
    api.call<{ orderers: Orderer[] }>("GET", "/orderers").then((a) => a.orderers), loadIssuers(), loadProfile(),
    fromId ? api.call<ApplicationDetail>("GET", `/applications/${encodeURIComponent(fromId)}`) : Promise.resolve(null)]);
  const form = h("form", { id: "apply-form", novalidate: true },
    h("div", { id: "apply-summary" }),
    h("h2", {}, "保証の内容"),
    select("product", "商品", PRODUCTS),
    radios("format", "証書の形式", [["electronic", "電子保証（認証キーを含む）"], ["paper", "書面"]], "electronic"),
    radios("notify", "発行のお知らせメール", [["yes", "希望する"], ["no", "希望しない"]], "yes"),
    input("notify_email", "メールアドレス", { type: "email", inputmode: "email" }, "認証キーはメールに記載しません。"),
    select("orderer_id", "発注者", []),
    h("p", { class: "help", id: "orderer-help" }, "電子保証では、その商品を電子で受け付けている発注者だけを選べます。前回お申込みの発注者を最初に選んでいます。"),
    select("issuer_id", "保証会社等（発行者）", []),
    h("p", { class: "help", id: "issuer-help" }),
    select("branch_code", "取扱店", []),
    interimSection(),
    h("h2", {}, "工事（業務）"),
    h("p", { class: "help", id: "date-help" }, "日付は「令和8年12月1日」「R8.12.1」「2026/12/1」のどの書き方でも入力できます（全角も可）。右のカレンダーからも選べます。"),
    input("work.name", "工事名", { required: true }),
    radios("work.kind", "種別", [["construction", "工事"], ["service", "業務"]], "construction"),
    input("work.contract_price", "請負金額（円）", { inputmode: "numeric", required: true }, "全角数字・カンマも入力できます。"),
    dateField("work.contract_date", "請負契約日"),
    dateField("work.period_start", "工期（自）"),
    dateField("work.period_end", "工期（至）"),
    h("div", { id: "contract-only", hidden: true },
      h("div", { class: "field", "data-field": "work.low_bid_investigation" },
        h("label", { class: "choice" },
          h("input", { type: "checkbox", id: "f-work-low_bid_investigation", name: "work.low_bid_investigation", value: "yes", "aria-describedby": "f-work-low_bid_investigation-help f-work-low_bid_investigation-error" }),
          "低入札価格調査を経た契約です"),
        h("p", { class: "help", id: "f-work-low_bid_investigation-help" }, "契約保証の保証金額は請負金額の10分の1以上、低入札価格調査を経た契約では10分の3以上です。"),
        h("p", { class: "field-error", id: "f-work-low_bid_investigation-error" }))),
    h("h2", {}, "保証"),
    input("guarantee.amount", "保証金額（円）", { inputmode: "numeric", required: true }, "中間前払金保証の保証金額は請負金額の2割以内です。"),
    dateField("guarantee.deadline", "保証期限"),
    h("h2", {}, "受注者"),
    input("contractor.name", "受注者名", { required: true }),
    input("contractor.address", "住所", { required: true }),
    input("contractor.jv_name", "共同企業体名（JVの場合）"),
    input("deposit_bank", "預託金融機関", {}, "前払金を預け入れる金融機関（例：みどり銀行 本町支店）。"),
    h("input", { type: "hidden", name: "upload_id" }),
    h("input", { type: "hidden", name: "upload_name" }),
    h("p", { class: "help" }, "受注者名・住所・預託金融機関・メールアドレスは", h("a", { href: "#/profile" }, "会社情報"), "に登録しておくと、次の申込みから自動で入力されます。"),
    h("p", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "apply-submit" }, "入力内容を確認する")),
    h("div", { id: "apply-result", "aria-live": "polite" }));

  const product = form.querySelector<HTMLSelectElement>("[name=product]")!;
  const ordererSelect = form.querySelector<HTMLSelectElement>("[name=orderer_id]")!;
  ordererSelect.setAttribute("aria-describedby", "f-orderer_id-error orderer-help");
  const issuerSelect = form.querySelector<HTMLSelectElement>("[name=issuer_id]")!;
  issuerSelect.setAttribute("aria-describedby", "f-issuer_id-error issuer-help");
  const issuerHelp = form.querySelector<HTMLElement>("#issuer-help")!;
  const branchSelect = form.querySelector<HTMLSelectElement>("[name=branch_code]")!;
  // Without the registry (it could not be read) the form applies to the default surety, as the API
  // does for an application without issuer_id: the choice is not offered then.
  const registryKnown = issuers.length > 0;
  issuerSelect.closest<HTMLElement>(".field")!.hidden = !registryKnown;
  issuerHelp.hidden = !registryKnown;
  /** The orderers, issuers and branches that fit what is chosen; `wantIssuer`/`wantBranch` (a draft's,
   * the copied 前払金保証's) win over the current choice when offered. */
  const offer = (wantIssuer?: string | null, wantBranch?: string | null) => {
    const electronic = (form.querySelector("[name=format]:checked") as HTMLInputElement).value === "electronic";
    const chosen = ordererSelect.value;
    const open = orderers.filter((o) => !electronic || (o.products.includes(product.value) && o.accepts_from <= today()));
    ordererSelect.replaceChildren(...open.map((o) => h("option", { value: o.orderer_id }, o.name)));
    if (open.some((o) => o.orderer_id === chosen)) ordererSelect.value = chosen;

    // The issuers taking applications for the product, of a kind the orderer accepts for it today
    // (for a paper guarantee the orderer's electronic acceptance does not apply).
    const orderer = electronic ? open.find((o) => o.orderer_id === ordererSelect.value) ?? null : null;
    const choices = registryKnown ? offering(issuers, product.value, orderer, today()) : [];
    const previous = wantIssuer || issuerSelect.value;
    issuerSelect.replaceChildren(...(choices.length
      ? choices.map((e) => h("option", { value: e.issuer_id }, issuerText(e)))
      : [h("option", { value: "" }, "選べる保証会社等がありません")]));
    issuerSelect.value = preferred(choices, previous);
    const entry = choices.find((e) => e.issuer_id === issuerSelect.value);
    const title = entry ? documentTitle(issuers, entry.issuer_id, product.value) : null;
    issuerHelp.textContent = entry
      ? `${entry.name}は${productLabel(product.value)}を「${title ?? DOCUMENT_TITLES.surety_certificate}」で発行します。`
        + (electronic ? "発注者が受け付けている保証会社等だけを選べます。" : "")
      : `${productLabel(product.value)}をこの発注者${electronic ? "に電子で" : "に"}発行できる保証会社等がありません。発注者か商品を選び直してください。`;

    // The branch follows the issuer: its own branches only.
    const branchBefore = wantBranch || branchSelect.value;
    // (A registry that cannot be read offers none: the API behind it is not reachable either.)
    const branches = branchesOf(entry);
    branchSelect.replaceChildren(...branches.map(([code, name]) => h("option", { value: code }, name)));
    if (branches.some(([code]) => code === branchBefore)) branchSelect.value = branchBefore;
    showProductFields(form);
  };
  form.addEventListener("change", () => offer());
  offer();
  const interim = wireInterim(form, orderers, offer);

  // What fills the form: what was typed before a sign-in (a draft); else the application it starts
  // from (「前回の申込から作成」, 「内容を確認して再申込」); else the company profile.
  if (source) drafts.drop(DRAFT);
  const draft = drafts.load<Draft>(DRAFT);
  form.dataset.idempotencyKey = draft?.idempotency_key ?? crypto.randomUUID();
  const start: Record<string, string> | null = draft
    ?? (source ? { ...(profile ? valuesOfProfile(profile) : {}), ...valuesOfRequest(source.request) } : profile ? valuesOfProfile(profile) : null);
  if (start) {
    fillControls(form, start);
    offer();
    if (start.orderer_id && orderers.some((o) => o.orderer_id === start.orderer_id)) ordererSelect.value = start.orderer_id;
    offer(start.issuer_id, start.branch_code);
  }
  interim.show(start?.advance_contract_number);
  form.addEventListener("input", () => drafts.save(DRAFT, readForm()));

  const summarySlot = form.querySelector<HTMLElement>("#apply-summary")!;
  const submit = form.querySelector<HTMLButtonElement>("#apply-submit")!;
  const confirmSlot = h("div", { id: "apply-confirm-slot" });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    summarySlot.replaceChildren();
    const result = document.getElementById("apply-result")!;
    result.replaceChildren();
    submit.disabled = true;
    try {
      await interim.ready(); // a 認定調書 still on its way to the bucket is waited for
      const values = readForm();
      drafts.save(DRAFT, values);
      const estimate = await untilChecked(() => api.call<Estimate>("POST", "/applications/estimate", body(values)), result);
      result.replaceChildren();
      confirmStep(form, confirmSlot, values, estimate, orderers, issuers, interim.ready);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      result.replaceChildren();
      refused(form, summarySlot, error);
    } finally {
      submit.disabled = false;
    }
  });
  formOpen = true;
  const previous = await previousSection();
  const intro = source
    ? source.status === "rejected"
      ? message(`却下された申込（申込番号 ${source.reference ?? ""}）の内容を写しました。却下の理由：${source.reject_reason ?? "—"}　理由を確かめて内容を直し、「入力内容を確認する」へお進みください。`, "info")
      : message(`申込番号 ${source.reference ?? ""} の内容を写しました。変わったところを直してください。`, "info")
    : null;
  show(h("h1", {}, "保証申込"), intro, source ? null : previous, form, confirmSlot);
  if (source) {
    // From here on it is this form's draft: a sign-in on the way comes back to it as typed, not to a fresh copy.
    drafts.save(DRAFT, readForm());
    history.replaceState(null, "", "#/apply");
  }
}

/** A refused estimate or application: the summary and each field's message; an upload that can never be named is cleared. */
function refused(form: HTMLFormElement, summarySlot: HTMLElement, error: ApiError): void {
  if (notCheckedYet(error)) {
    form.querySelector("#f-upload_id-error")!.textContent = "認定調書の確認がまだ終わっていません。しばらくしてから、もう一度お進みください。";
    return;
  }
  if (error.errors.some((p) => /(^|\.)upload_id$/.test(p.field) && (p.code.startsWith("upload_") || p.code === "no_such_upload")
    && p.code !== "upload_pending" && p.code !== "upload_required")) {
    // That upload can never be named: a new file is needed (a new upload).
    (form.querySelector("[name=upload_id]") as HTMLInputElement).value = "";
    (form.querySelector("[name=upload_name]") as HTMLInputElement).value = "";
    (form.querySelector("#f-upload_id") as HTMLInputElement).value = "";
    form.querySelector("#upload-status")!.textContent = "";
    drafts.save(DRAFT, readForm());
  }
  showProblems(form, summarySlot, error);
}

/** 確認画面: everything entered as it will be stored, the 保証料（見込み）, then 申込む (or back to the form). */
function confirmStep(
  form: HTMLFormElement, slot: HTMLElement, values: Draft, estimate: Estimate, orderers: Orderer[], issuers: IssuerEntry[],
  ready: () => Promise<void>,
): void {
  const send = h("button", { type: "button", class: "primary", id: "apply-confirm-submit" }, "申込む");
  const back = h("button", { type: "button", id: "apply-back" }, "入力画面に戻って修正する");
  const result = h("div", { id: "apply-confirm-result", "aria-live": "polite" });
  const section = h("section", { id: "apply-confirm", "aria-labelledby": "confirm-title", tabindex: "-1" },
    h("h2", { id: "confirm-title" }, "入力内容の確認"),
    h("p", {}, "この内容で申し込みます。よろしければ「申込む」を押してください。"),
    h("table", { class: "facts", id: "confirm-facts" }, h("tbody", {}, ...requestRows(estimate.request, orderers, issuers))),
    feeSection(estimate),
    result,
    h("p", { class: "actions" }, send, back));
  const title = document.querySelector<HTMLElement>("#main h1");
  if (title) title.textContent = "保証申込（確認）";
  form.hidden = true;
  document.querySelector<HTMLElement>(".previous")?.setAttribute("hidden", "");
  slot.replaceChildren(section);
  section.focus();
  window.scrollTo(0, 0);
  back.addEventListener("click", () => {
    slot.replaceChildren();
    form.hidden = false;
    if (title) title.textContent = "保証申込";
    form.querySelector<HTMLElement>("#apply-submit")?.focus();
  });
  send.addEventListener("click", async () => {
    send.disabled = true;
    back.disabled = true;
    send.setAttribute("aria-busy", "true");
    send.textContent = "申し込んでいます…";
    try {
      await ready();
      const created = await untilChecked(() => api.call<{ application_id: string; reference?: string | null; status: string }>(
        "POST", "/applications", body(values), { "Idempotency-Key": values.idempotency_key }), result);
      drafts.drop(DRAFT);
      formOpen = false;
      void loadProfile(true); // the orderer applied to is now the profile's default
      // The address names what is on screen now (a reload shows the application; 保証申込 in the menu opens a new form).
      history.replaceState(null, "", `#/applications/${created.application_id}/received`);
      const to = issuers.find((e) => e.issuer_id === values.issuer_id);
      const reference = created.reference ?? created.application_id;
      show(h("h1", {}, "保証申込"),
        message(`お申込みを受け付けました。申込番号 ${reference}`, "info"),
        h("p", { id: "apply-issuer" }, `${to ? to.name : "保証会社"}の審査のうえ発行します。発行後は「保証契約一覧」に表示されます。`
          + "お問い合わせの際は申込番号をお伝えください。"),
        h("p", { class: "actions" }, h("a", { href: `#/applications/${created.application_id}`, id: "applied-link" }, "申込内容を見る"),
          h("a", { href: "#/applications" }, "申込一覧へ"), h("a", { href: "#/contracts" }, "保証契約一覧へ")));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // Refused now though the estimate was not (a day passed, a registry changed): back to the form, with why.
      slot.replaceChildren();
      form.hidden = false;
      if (title) title.textContent = "保証申込";
      refused(form, form.querySelector<HTMLElement>("#apply-summary")!, error);
    }
  });
}

// ------------------------------------------------------------------ 申込一覧, and one application read again

type ApplicationRow = Schemas["ApplicationRow"];

let nextNotice: HTMLElement | null = null;

async function applicationsView(): Promise<void> {
  const notice = nextNotice;
  nextNotice = null;
  const { applications } = await api.call<{ applications: ApplicationRow[] }>("GET", "/applications");
  const table = labelCells(h("table", { class: "list", id: "applications" },
    h("caption", {}, `申込 ${applications.length} 件（新しい順）`),
    h("thead", {}, h("tr", {}, ...["申込番号", "申込日時", "区分", "内容", "保証会社等", "保証契約番号", "状態", "却下の理由"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...applications.map((a) => h("tr", { "data-application": a.application_id, "data-status": a.status },
      h("td", { class: "nowrap" }, h("a", { href: `#/applications/${a.application_id}`, "aria-label": `申込番号 ${a.reference ?? a.application_id} の申込内容` },
        a.reference ?? a.application_id)),
      h("td", {}, wareki(a.submitted_at, true)),
      h("td", { class: "nowrap" }, APPLICATION_KIND[a.kind] ?? a.kind),
      h("td", {}, a.kind === "change" ? `変更理由：${a.reason ?? "—"}` : `${productLabel(a.product ?? "")}　${a.work_name ?? ""}`),
      h("td", { class: "issuer-cell" }, issuerCell(issuerOf(a))),
      h("td", { class: "nowrap" }, a.contract_number
        ? h("a", { href: `#/contracts/${encodeURIComponent(a.contract_number)}` }, a.contract_number) : "—"),
      h("td", { class: "nowrap" }, h("span", { class: `badge application-${a.status}` }, APPLICATION_STATUS[a.status] ?? a.status),
        a.status === "rejected" && a.kind !== "change"
          ? h("a", { class: "reapply", href: `#/applications/${a.application_id}` }, "内容を確認して再申込") : null),
      h("td", { class: "reject-reason" }, a.reject_reason ?? "—"))))));
  show(h("h1", {}, "申込一覧"), notice ?? null,
    applications.length ? table : h("p", {}, "申込はまだありません。"),
    h("p", { class: "help" }, "申込番号を選ぶと、お送りした申込内容を確認できます。却下された申込は、理由をご確認のうえ「内容を確認して再申込」からお申込みください。"));
}

/** One application read again, read-only: everything sent, its state and any reject reason. */
async function applicationView(id: string): Promise<void> {
  const [a, orderers, issuers] = await Promise.all([
    api.call<ApplicationDetail>("GET", `/applications/${encodeURIComponent(id)}`),
    api.call<{ orderers: Orderer[] }>("GET", "/orderers").then((x) => x.orderers), loadIssuers()]);
  const request = a.request as StoredRequest;
  const change = a.kind === "change";
  const facts = change
    ? [row("保証契約番号", request.contract_number ?? "—"), row("工事名", request.work_name ?? "—"),
      ...Object.entries((request.change ?? {}) as Record<string, Record<string, unknown>>).flatMap(([group, fields]) =>
        Object.entries(fields ?? {}).filter(([, v]) => v !== null && v !== undefined).map(([name, v]) => {
          const label = FIELD_LABELS[`${group}.${name}`] ?? name;
          return row(`変更後の${label}`, typeof v === "number" ? yen(v) : /^\d{4}-\d{2}-\d{2}$/.test(String(v)) ? wareki(String(v)) : String(v));
        })),
      row("変更理由", request.reason ?? "—")]
    : requestRows(request, orderers, issuers);
  const rejected = a.status === "rejected";
  show(h("h1", {}, `申込内容（申込番号 ${a.reference ?? a.application_id}）`),
    rejected ? h("div", { class: "message error", id: "reject-reason", role: "status" },
      h("strong", {}, "この申込は却下されました。"), `却下の理由：${a.reject_reason ?? "—"}`) : null,
    h("table", { class: "facts", id: "application-state" }, h("tbody", {},
      row("申込番号", a.reference ?? a.application_id),
      row("区分", APPLICATION_KIND[a.kind] ?? a.kind),
      row("状態", h("span", { class: `badge application-${a.status}` }, APPLICATION_STATUS[a.status] ?? a.status)),
      row("申込日時", wareki(a.submitted_at, true)),
      issuerOf(a) ? row("保証会社等（発行者）", issuerText(issuerOf(a)!)) : null,
      a.contract_number ? row("保証契約番号", h("a", { href: `#/contracts/${encodeURIComponent(a.contract_number)}` }, a.contract_number)) : null)),
    h("h2", {}, "お送りした内容"),
    h("table", { class: "facts", id: "application-request" }, h("tbody", {}, ...facts)),
    h("p", { class: "actions" },
      !change && rejected ? h("a", { class: "button", id: "reapply", href: `#/apply/from/${a.application_id}` }, "内容を確認して再申込") : null,
      !change && !rejected ? h("a", { class: "button", id: "copy-application", href: `#/apply/from/${a.application_id}` }, "この申込から作成") : null,
      h("a", { href: "#/applications" }, "申込一覧へ戻る")));
}

// ------------------------------------------------------------------ 会社情報 (the profile that prefills applications)

const PROFILE_LABELS: Record<string, string> = {
  "contractor.name": "受注者名", "contractor.address": "住所", "contractor.jv_name": "共同企業体名", contractor: "受注者",
  deposit_bank: "預託金融機関", notify_email: "メールアドレス",
};

async function profileView(): Promise<void> {
  const profile = await loadProfile(true);
  const form = h("form", { id: "profile-form", novalidate: true },
    h("div", { id: "profile-summary" }),
    h("p", {}, "ここに登録した内容は、保証申込の画面に自動で入力されます（申込みごとに直すこともできます）。"),
    h("h2", {}, "受注者"),
    input("contractor.name", "受注者名", {}, "保証証書に記載する名称です（例：さくら建設 株式会社）。"),
    input("contractor.address", "住所"),
    input("contractor.jv_name", "共同企業体名（JVの場合）"),
    h("h2", {}, "前払金の預託"),
    input("deposit_bank", "預託金融機関", {}, "前払金保証・中間前払金保証で使います（契約保証では使いません）。"),
    h("h2", {}, "お知らせメール"),
    input("notify_email", "メールアドレス", { type: "email", inputmode: "email" }, "発行のお知らせを送ります。認証キーはメールに記載しません。"),
    h("p", { class: "actions" }, h("button", { type: "submit", class: "primary", id: "profile-save" }, "保存する")),
    h("div", { id: "profile-result", "aria-live": "polite" }));
  if (profile) fillControls(form, { ...valuesOfProfile(profile), orderer_id: "" });
  const summarySlot = form.querySelector<HTMLElement>("#profile-summary")!;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    summarySlot.replaceChildren();
    const result = form.querySelector<HTMLElement>("#profile-result")!;
    result.replaceChildren();
    const value = (name: string) => (form.querySelector<HTMLInputElement>(`[name="${name}"]`)!.value ?? "").trim();
    const someContractor = value("contractor.name") || value("contractor.address") || value("contractor.jv_name");
    const saved = {
      contractor: someContractor
        ? { name: value("contractor.name"), address: value("contractor.address"), jv_name: value("contractor.jv_name") || null } : null,
      deposit_bank: value("deposit_bank") || null,
      notify_email: value("notify_email") || null,
    };
    try {
      profileCache = await api.call<Profile>("PUT", "/profile", saved);
      fillControls(form, { ...valuesOfProfile(profileCache), orderer_id: "" }); // as stored (full-width made ASCII, spaces trimmed)
      showWho(profileCache, await session(FRONT));
      result.replaceChildren(message("会社情報を保存しました。次の保証申込から自動で入力されます。", "info"));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      showFieldErrors(form, error, null);
      const summary = h("div", { class: "error-summary", id: "error-summary", role: "alert", tabindex: "-1" },
        h("h2", {}, `入力内容に誤りがあります（${error.errors.length}件）`),
        h("ul", {}, ...problemsText(error, PROFILE_LABELS).map((t) => h("li", {}, t))));
      summarySlot.replaceChildren(summary);
      summary.focus();
    }
  });
  show(h("h1", {}, "会社情報"), form);
}

// ------------------------------------------------------------------ ヘルプ

function helpNav(current: "contracts" | "printing"): HTMLElement {
  return h("nav", { class: "help-nav", "aria-label": "ヘルプの目次" },
    h("a", { href: "#/help/contracts", "aria-current": current === "contracts" ? "page" : false }, "保証契約一覧のヘルプ"),
    h("a", { href: "#/help/printing", "aria-current": current === "printing" ? "page" : false }, "印刷方法について"));
}

function helpView(topic: string): void {
  if (topic === "printing") {
    show(h("h1", {}, "印刷方法について"), helpNav("printing"),
      h("h2", {}, "「認証キー」のお知らせ（PDF）を印刷する・保存する"),
      h("ol", {},
        h("li", {}, "「保証契約一覧」で保証契約番号を選び、「電子保証概要」を開きます。"),
        h("li", {}, "認証キーの欄の「印刷」を押すと、「電子保証にかかる「認証キー」のお知らせ」（PDF）が別のウィンドウ（タブ）で開きます。"),
        h("li", {}, "PDFを表示した画面の印刷ボタンで印刷します。保存（ダウンロード）ボタンでPDFファイルとして保存することもできます。"),
        h("li", {}, "発注者には、このPDFを発注者の定める方法（電子メールへの添付、電子契約システムへのアップロードなど）で提出するか、本サービスの「提出」をご利用ください。")),
      h("p", {}, "お知らせには保証契約番号と認証キー、発注者が読み取るQRコードが記載されています。認証キーは電子メールでは送られません。この画面とお知らせのPDFでだけ確認できます。"),
      h("h2", {}, "変更後の版のお知らせ"),
      h("p", {}, "「電子保証履歴一覧」では、新規・変更ー1 など版ごとに「認証キーのお知らせ」の「印刷」ボタンがあります。"),
      h("h2", {}, "電子保証（証書の内容）を印刷する"),
      h("p", {}, "「電子保証履歴一覧」で「選択」を押すと、電子保証が別のウィンドウで表示されます。その画面の「印刷」ボタンでブラウザの印刷が始まります（操作ボタンやメニューは印刷されません）。「PDFを表示」では署名付きの保証証書（PDF）を開けます。"),
      h("h2", {}, "ウィンドウが開かないとき"),
      h("p", {}, "ブラウザがポップアップ（新しいウィンドウ）を止めていることがあります。アドレスバーに表示される案内から、このサイトのポップアップを許可してから、もう一度「印刷」を押してください。"),
      h("p", {}, h("a", { href: "#/contracts" }, "保証契約一覧へ")));
    return;
  }
  show(h("h1", {}, "保証契約一覧のヘルプ"), helpNav("contracts"),
    h("h2", {}, "保証契約一覧"),
    h("p", {}, "御社の保証契約が表示されます。保証契約番号を選ぶと「電子保証概要」が開きます。"),
    h("h2", {}, "電子保証概要"),
    h("p", {}, "保証の状態（有効・期限満了・解約・履行請求）、保証の内容、認証キー、発注者の閲覧・受領確認、保証料計算書が表示されます。最新の情報を表示しています。"),
    h("p", {}, "認証キーは発注者にお知らせください。「印刷」ボタンで「認証キー」のお知らせ（PDF）を開き、PDFデータを発注者に提出することをお奨めします（", h("a", { href: "#/help/printing" }, "印刷方法について"), "）。"),
    h("h2", {}, "電子保証履歴一覧"),
    h("p", {}, "新規と変更（変更ー1、変更ー2 …）の電子保証が発行順に表示されます。訂正、変更取消された履歴は表示されません。"),
    h("p", {}, "電子保証発行日時とは、発注者が保証証書を確認するシステム（プラットフォーム）に保証証書が到着した日時のことです。"),
    h("h2", {}, "発行後のお手続き"),
    h("p", {}, "保証会社で発行手続きが完了すると、お申込み時に希望されたメールアドレスに発行のお知らせを送ります。メールが届きましたら、①保証契約の内容をご確認のうえ、②「認証キー」のお知らせ（PDF）を印刷または保存して、発注者に提出してください。"),
    h("h2", {}, "保証料計算書と領収証"),
    h("p", {}, "保証料計算書は電子化しています（電子保証概要の「保証料計算書」から表示できます）。領収証は引き続き書面でお渡しします。"),
    h("h2", {}, "保証の内容を変えるとき"),
    h("p", {}, "電子保証概要の「変更申込」から申し込みます。請負金額のみの変更の場合は、保証契約の効力に影響を及ぼさないので、変更の手続きは必要ありません。"),
    h("p", {}, h("a", { href: "#/contracts" }, "保証契約一覧へ")));
}

// ------------------------------------------------------------------ 保証契約一覧

type ContractRow = Schemas["ContractRow"];
type ContractPage = Schemas["Contracts"];

/** 保証契約一覧: 状態 at a glance, a 状態 filter and a search (in the address: `#/contracts?status=valid&q=…`),
 * pages by the API's cursor (kept here, so 前へ goes back without asking the address). */
async function contractsView(query: URLSearchParams = new URLSearchParams(), cursors: (string | null)[] = [null]): Promise<void> {
  const state = contractListState(query);
  const params = new URLSearchParams({ limit: String(state.limit) });
  if (state.status) params.set("status", state.status);
  if (state.q) params.set("q", state.q);
  const cursor = cursors[cursors.length - 1];
  if (cursor) params.set("cursor", cursor);
  const search = contractSearchForm(state);
  const title = h("h1", {}, "保証契約一覧");
  show(title, search, h("p", { "aria-live": "polite" }, "読み込み中…"));
  let page: ContractPage;
  try {
    page = await api.call<ContractPage>("GET", `/contracts?${params}`);
  } catch (error) {
    show(title, search, message(error instanceof ApiError ? `${errorJa(error.code)}` : String(error)));
    return;
  }
  const contracts: ContractRow[] = page.contracts;
  // Seven columns, related facts stacked in one cell: eleven did not fit 1366 px, and a name squeezed into
  // a narrow column breaks after every character. 預託金融機関 and the rest are on 電子保証概要.
  const heads = ["保証契約番号", "状態", "工事名・発注者", "請負契約者", "商品名・保証会社等", "保証金額・請負金額", "保証期限"];
  const table = labelCells(h("table", { class: "list", id: "contracts" },
    h("caption", {}, `${contractListCaption(state)}（${cursors.length} ページ目、${contracts.length} 件）`),
    h("thead", {}, h("tr", {}, ...heads.map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...contracts.map((c) => h("tr", { "data-contract": c.contract_number, "data-status": c.status },
      h("td", { class: "nowrap" }, h("a", { href: `#/contracts/${encodeURIComponent(c.contract_number)}` }, c.contract_number),
        h("br"), h("span", { class: "help" }, c.format === "electronic" ? "電子" : "書面")),
      h("td", { class: "nowrap" }, statusBadge(c.status, c.status_label),
        c.pending_change ? h("span", {}, h("br"), h("span", { class: "badge pending" }, "変更申込中")) : null),
      h("td", { class: "wrap" }, c.work_name, h("br"), h("span", { class: "help" }, c.orderer_name ?? "—")),
      h("td", { class: "wrap" }, c.contractor_name, c.jv_name ? h("span", {}, h("br"), h("span", { class: "help" }, c.jv_name)) : null),
      h("td", { class: "wrap" }, h("span", { class: "nowrap" }, c.product_label), h("br"), h("span", { class: "issuer-cell" }, issuerCell(issuerOf(c)))),
      h("td", { class: "num nowrap" }, yen(c.guarantee_amount), h("br"), h("span", { class: "help" }, `請負 ${yen(c.contract_price)}`)),
      h("td", { class: "nowrap" }, wareki(c.guarantee_deadline)))))));
  const previous = h("button", { type: "button", id: "contracts-previous", disabled: cursors.length === 1 }, "前へ");
  previous.addEventListener("click", () => void contractsView(query, cursors.slice(0, -1)));
  const next = h("button", { type: "button", id: "contracts-next", disabled: !page.next_cursor }, "次へ");
  next.addEventListener("click", () => void contractsView(query, [...cursors, page.next_cursor ?? null]));
  const pager = h("p", { class: "actions pager" }, previous, next);
  // A filter that keeps few rows may end a page before it is full (or empty) where more follow.
  const more = page.next_cursor && contracts.length < state.limit
    ? h("p", { class: "help", id: "contracts-more" }, contracts.length
      ? "この条件の保証契約は、次のページにもあります。"
      : "このページには該当する保証契約がありません。「次へ」で続きをご確認ください。") : null;
  show(title, search,
    contracts.length ? h("div", { class: "scroll" }, table) : page.next_cursor ? null : h("p", { id: "contracts-empty" }, contractListEmpty(state)),
    more, cursors.length > 1 || page.next_cursor ? pager : null,
    h("p", { class: "help" }, "状態：有効（保証期間中）／期限満了（保証期限を過ぎたもの）／解約／履行請求（保証債務の履行請求があったもの）"));
}

// ------------------------------------------------------------------ 電子保証概要 / 電子保証履歴一覧

// fee_statements[].label is the API's too (「変更ー1（取消）」 for a withdrawn change's statement, 「変更ー1 変更取消」 for the one reversing it)
type Detail = Schemas["ContractDetail"];

const FEE_KINDS: Record<string, string> = { fee: "保証料", additional: "追加保証料", refund: "保証料返還", none: "増減なし" };

function documentLink(path: string): () => Promise<string> {
  return async () => (await api.call<{ url: string }>("GET", path)).url;
}

function row(label: string, value: string | Node): HTMLElement {
  return h("tr", {}, h("th", { scope: "row" }, label), h("td", {}, value));
}

function actionButton(text: string, onClick: () => Promise<void> | void, attrs: Record<string, string> = {}): HTMLButtonElement {
  const button = h("button", { type: "button", ...attrs }, text);
  button.addEventListener("click", () => {
    Promise.resolve(onClick()).catch((error) => {
      document.getElementById("action-result")?.replaceChildren(message(error instanceof Error ? error.message : String(error)));
    });
  });
  return button;
}

/** The label of a version (新規 / 変更ー n), as the API names it: the entry's own `label` when it carries one,
 * else the shown history's. A record no longer shown (replaced by a 訂正, or a withdrawn change) has no label
 * of its own: it is said so, never as an internal version number. */
function labelOf(d: Detail, version: number, own?: string | null): string {
  if (own) return own;
  const entry = d.history.find((e) => e.version === version);
  return entry ? entry.label : "訂正・変更取消の前の電子証書";
}

function contractPath(number: string, tail = ""): string {
  return `/contracts/${encodeURIComponent(number)}${tail}`;
}

async function overviewView(number: string): Promise<void> {
  const d = await api.call<Detail>("GET", contractPath(number));
  const c = d.certificate;
  if (!c) {
    show(h("h1", {}, "電子保証概要"), message("この保証はまだ発行手続中です。", "info"));
    return;
  }
  const label = c.label;
  const print = actionButton("印刷", () => openInWindow(documentLink(contractPath(number, "/notice"))), { class: "primary", id: "print-notice" });
  const key = d.auth_key
    ? h("section", { class: "key", "aria-labelledby": "key-title" },
      h("h2", { id: "key-title" }, "認証キー"),
      h("p", { class: "key-value", id: "auth-key" }, d.auth_key),
      h("p", {}, "※発注者にお知らせください（印刷ボタンをクリックして、PDFデータを発注者に提出することをお奨めします。）"),
      h("p", { class: "actions" }, print, h("span", { class: "help" }, `「認証キー」のお知らせ（${label}、PDF）を開きます。`),
        h("a", { href: "#/help/printing" }, "印刷方法について")))
    : null;

  const receipts = d.receipts ?? [];
  const receiptList = receipts.length
    ? labelCells(h("table", { class: "list", id: "receipts" },
      h("caption", {}, "発注者の受領確認"),
      h("thead", {}, h("tr", {}, ...["発注者", "対象", "受領日時"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...receipts.map((r) => h("tr", {},
        h("td", {}, r.orderer_name ?? "—"), h("td", {}, labelOf(d, r.version, (r as { label?: string | null }).label)),
        h("td", {}, wareki(r.received_at, true)))))))
    : h("p", { id: "receipts" }, "発注者の受領確認はまだありません。");

  const fees = d.fee_statements ?? [];
  const feeList = fees.length
    ? labelCells(h("table", { class: "list", id: "fee-statements" },
      h("caption", {}, "保証料計算書（領収証は書面でお渡しします）"),
      h("thead", {}, h("tr", {}, ...["対象", "区分", "金額", "計算書"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, ...fees.map((f) => h("tr", {},
        h("td", {}, f.label ?? labelOf(d, f.version)), h("td", {}, FEE_KINDS[f.kind] ?? f.kind), h("td", { class: "num" }, yen(f.fee)),
        h("td", {}, actionButton("表示", () => openInWindow(documentLink(contractPath(number, `/fee-statements/${f.version}`))),
          { class: "link", "aria-label": `${f.label ?? labelOf(d, f.version)}の保証料計算書を表示` })))))))
    : null;

  const ending = endingText(d.ending);
  // 解約 returns the fee of the days after its date: its 保証料返還計算書 (a 履行請求 has none).
  const refund = d.ending?.kind === "cancelled"
    ? h("section", { class: "refund", "aria-labelledby": "refund-title" },
      h("h2", { id: "refund-title" }, "保証料返還計算書"),
      h("p", {}, `この保証は${wareki(d.ending.date)}に解約されました。解約日の翌日以降の保証料を返還します（領収証は書面でお渡しします）。`),
      h("p", { class: "actions" }, actionButton("保証料返還計算書を表示", () => openInWindow(async () => {
        try {
          return (await api.call<{ url: string }>("GET", contractPath(number, "/termination-statement"))).url;
        } catch (error) {
          if (error instanceof ApiError && error.status === 404) throw new Error("保証料返還計算書は作成中です。しばらくしてから、もう一度お試しください。");
          throw error;
        }
      }), { id: "termination-statement" })))
    : null;
  const canChange = d.format === "electronic" && d.status === "valid" && !d.pending_change;
  const changeLink = canChange
    ? h("a", { href: `#${contractPath(number, "/change")}`, class: "button", id: "change-link" }, "変更申込")
    : null;
  const pending = d.pending_change
    ? message(`変更申込（申込番号 ${referenceOf(d.pending_change)}）を審査中です。発行されると「変更ー」の電子保証が追加されます。`, "info")
    : null;

  const issuer = issuerOf(d);
  show(h("h1", {}, `電子保証概要（${c.product_label}）`),
    h("p", { class: "help" }, "※最新の情報を表示しています。"),
    pending,
    h("table", { class: "facts", id: "overview" }, h("tbody", {},
      row("保証契約番号", d.contract_number),
      issuer ? row("保証会社等（発行者）", h("span", { id: "overview-issuer" }, issuerText(issuer))) : null,
      row("状態", statusBadge(d.status, d.status_label)),
      ending ? row("終了", ending) : null,
      row("区分", label),
      row("電子保証発行日時", wareki(c.issued_at, true)),
      row("商品", c.product_label), row("工事名", c.work_name), row("被保証者", c.beneficiary),
      row("請負金額", yen(c.contract_price)), row("保証金額", yen(c.guarantee_amount)),
      row("工期", `${wareki(c.period_start)} ～ ${wareki(c.period_end)}`),
      row("保証期限", wareki(c.guarantee_deadline)),
      row("発注者の閲覧", d.viewed_by_orderer_at ? wareki(d.viewed_by_orderer_at, true) : "まだ閲覧されていません"))),
    key,
    await submissionSection(d),
    refund,
    h("h2", {}, "受領確認"), receiptList,
    feeList ? h("h2", {}, "保証料計算書") : null, feeList,
    h("div", { id: "action-result", "aria-live": "polite" }),
    h("p", { class: "actions" },
      h("a", { href: `#${contractPath(number, "/history")}` }, "電子保証履歴一覧"), changeLink,
      h("a", { href: "#/contracts" }, "全体トップへ")));
}

// ------------------------------------------------------------------ 提出 (direct submission to the orderer)

let registryCache: RegistryOrderer[] | null = null;

async function registry(): Promise<RegistryOrderer[]> {
  registryCache ??= (await api.call<{ orderers: RegistryOrderer[] }>("GET", "/orderers")).orderers;
  return registryCache;
}

/** A refusal's code in the screens' words (web/src/error_messages.ts); `fallback` until this build knows the code. */
function codeText(code: string, fallback: string): string {
  return Object.hasOwn(ERROR_MESSAGES, code) ? errorJa(code) : fallback;
}

function submissionRefusal(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  const code = error.code || error.errors[0]?.code || "";
  if (code === "direct_submission_not_accepted") return codeText(code, "この発注者は、この商品の電子保証の提出を本サービスでは受け付けていません。");
  if (code === "unknown_department") return codeText(code, "この部署はこの保証の提出先ではありません。提出先の部署を選び直してください。");
  if (code === "not_yet_published") return errorJa(code);
  return error.errors.length ? error.errors.map((p) => errorJa(p.code)).join(" ") : error.message;
}

function presentationLine(p: ContractPresentation, ordererName: string): string {
  const where = [p.orderer_name ?? ordererName, p.department_name].filter(Boolean).join(" ");
  return p.via === "submission"
    ? `${wareki(p.presented_at, true)}に${where}へ提出しました。`
    : `${wareki(p.presented_at, true)}に${where}が認証キーで閲覧しました（提示）。`;
}

/** 提出 on 電子保証概要: to the department the registry names for the product, where the orderer takes it as
 * 寄託; elsewhere the orderer's rule (the notice, as before). */
async function submissionSection(d: Detail): Promise<HTMLElement | null> {
  const c = d.certificate;
  if (!c || d.format !== "electronic" || !c.orderer_id) return null;
  const orderer = (await registry().catch(() => [] as RegistryOrderer[])).find((o) => o.orderer_id === c.orderer_id);
  // A registry that does not say (yet) whether the orderer takes 提出 says nothing here either.
  if (!orderer || orderer.accepts_direct_submission === undefined) return null;
  const departments = (orderer.departments ?? []).filter((dep) => dep.products.includes(c.product));
  const section = h("section", { class: "receipt", id: "submission", "aria-labelledby": "submission-title" },
    h("h2", { id: "submission-title" }, "発注者への提出"));
  const presented = (d as Detail & { presentation?: ContractPresentation | null }).presentation ?? null;
  if (presented) section.append(h("p", { class: "message info", id: "presented" }, presentationLine(presented, orderer.name)));
  const accepts = (orderer.accepts_direct_submission ?? []).includes(c.product);
  if (!accepts) {
    section.append(h("p", { id: "orderer-rule" },
      `${orderer.name}は、${c.product_label}の電子保証の提出を本サービスでは受け付けていません。`
      + "「認証キー」のお知らせを印刷（PDF）し、発注者の定める方法（電子契約システムへのアップロード、または電子メールへの添付）で提出してください。"),
    departments.length
      ? h("ul", { id: "orderer-contacts" }, ...departments.map((dep) => h("li", {}, `提出先：${dep.name}（${dep.email}）`)))
      : "");
    return section;
  }
  if (presented?.via === "submission") return section;
  if (d.status !== "valid") {
    section.append(h("p", {}, `この保証は${d.status_label ?? "終了"}のため、提出できません。`));
    return section;
  }
  if (!departments.length) {
    section.append(h("p", {}, `${orderer.name}には、${c.product_label}の提出先の部署が登録されていません。「認証キー」のお知らせで提出してください。`));
    return section;
  }
  const choice = h("select", { id: "f-department_id", name: "department_id", "aria-describedby": "f-department_id-help f-department_id-error" },
    ...departments.map((dep) => h("option", { value: dep.department_id }, dep.name)));
  const outcome = h("div", { id: "submission-result", "aria-live": "polite" });
  const button = h("button", { type: "button", class: "primary", id: "submit-to-orderer" }, "提出");
  button.addEventListener("click", async () => {
    const dep = departments.find((x) => x.department_id === choice.value)!;
    const ok = await confirmDialog("提出",
      h("p", {}, `保証契約番号 ${d.contract_number} の電子保証（${c.label}）を、${orderer.name} ${dep.name}に提出します。発注者の画面にすぐ表示されます（PDFをメールで送る必要はありません）。`),
      "提出する");
    if (!ok) return;
    button.disabled = true;
    try {
      const answer = await api.call<Submission>("POST", contractPath(d.contract_number, "/submissions"), { department_id: dep.department_id });
      form.replaceWith(h("p", { class: "message info", id: "presented", role: "status" },
        presentationLine({ via: "submission", department_name: answer.department_name, presented_at: answer.presented_at }, orderer.name)));
    } catch (error) {
      button.disabled = false;
      outcome.replaceChildren(message(submissionRefusal(error)));
    }
  });
  const form = h("div", { id: "submission-form" },
    h("p", {}, `${orderer.name}は、${c.product_label}の電子保証を本サービスでの提出で受け付けています（寄託）。提出先の部署を選んで「提出」を押してください。`),
    h("div", { class: "field", "data-field": "department_id" },
      h("label", { for: "f-department_id" }, "提出先の部署"), choice,
      h("p", { class: "help", id: "f-department_id-help" }, `${orderer.name}が${c.product_label}の提出先として定めている部署です。`),
      h("p", { class: "field-error", id: "f-department_id-error" })),
    h("p", { class: "actions" }, button), outcome);
  section.append(form);
  return section;
}

async function historyView(number: string): Promise<void> {
  const d = await api.call<Detail>("GET", contractPath(number));
  const issuer = issuerOf(d);
  const table = labelCells(h("table", { class: "list", id: "history" },
    h("caption", {}, `保証契約番号 ${number}${issuer ? `（${issuer.name}）` : ""}`),
    h("thead", {}, h("tr", {}, ...["No.", "電子保証発行日時", "対象", "電子保証", "認証キーのお知らせ"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, ...d.history.map((entry) => {
      const entryLabel = entry.label;
      const open = actionButton("選択", () => {
        const opened = window.open(`/#${contractPath(number, `/certificate/${entry.version}`)}`, "_blank");
        if (!opened) location.hash = contractPath(number, `/certificate/${entry.version}`);
      }, { class: "link", "aria-label": `${entryLabel}の電子保証を選択` });
      const notice = actionButton("印刷", () => openInWindow(documentLink(contractPath(number, `/notice?version=${entry.version}`))),
        { class: "link", "aria-label": `${entryLabel}の「認証キー」のお知らせを印刷` });
      return h("tr", { "data-version": String(entry.version) }, h("td", {}, String(entry.no)), h("td", {}, wareki(entry.issued_at, true)),
        h("td", {}, entryLabel), h("td", {}, open), h("td", {}, d.format === "electronic" ? notice : "—"));
    }))));
  show(h("h1", {}, "電子保証履歴一覧"),
    h("p", { class: "help" }, "※訂正、変更取消された履歴は表示されません。"),
    h("p", { class: "help" }, "電子保証発行日時とは、発注者が保証証書を確認するシステム（プラットフォーム）に保証証書が到着した日時のことです。"),
    table,
    h("div", { id: "action-result", "aria-live": "polite" }),
    h("p", { class: "actions" }, h("a", { href: `#${contractPath(number)}` }, "電子保証概要へ戻る"), h("a", { href: "#/contracts" }, "全体トップへ")));
}

// ------------------------------------------------------------------ 保証契約一覧: filters

const CONTRACT_STATUSES: [string, string][] = [["", "すべて"], ["valid", "有効"], ["expired", "期限満了"], ["terminated", "解約"], ["claimed", "履行請求"]];
const CONTRACT_PAGE_SIZES = ["20", "50", "100"];

interface ContractListState {
  status: string; // "" for every 状態
  q: string;
  limit: number;
}

function contractListState(query: URLSearchParams): ContractListState {
  const status = query.get("status") ?? "";
  const limit = query.get("limit") ?? "";
  return {
    status: CONTRACT_STATUSES.some(([v]) => v === status) ? status : "",
    q: (query.get("q") ?? "").trim(),
    limit: CONTRACT_PAGE_SIZES.includes(limit) ? Number(limit) : Number(CONTRACT_PAGE_SIZES[0]),
  };
}

function contractListHref(state: ContractListState): string {
  const query = new URLSearchParams();
  if (state.status) query.set("status", state.status);
  if (state.q) query.set("q", state.q);
  if (String(state.limit) !== CONTRACT_PAGE_SIZES[0]) query.set("limit", String(state.limit));
  const text = query.toString();
  return text ? `#/contracts?${text}` : "#/contracts";
}

function contractStatusText(state: ContractListState): string {
  return CONTRACT_STATUSES.find(([v]) => v === state.status)?.[1] ?? "すべて";
}

function contractListCaption(state: ContractListState): string {
  const parts = [state.status ? `状態：${contractStatusText(state)}` : "", state.q ? `検索：「${state.q}」` : ""].filter(Boolean);
  return parts.length ? `保証契約（${parts.join("、")}）` : "保証契約";
}

function contractListEmpty(state: ContractListState): string {
  if (state.q && state.status) return `状態が「${contractStatusText(state)}」で「${state.q}」に当てはまる保証契約はありません。`;
  if (state.q) return `「${state.q}」に当てはまる保証契約はありません。`;
  if (state.status) return `状態が「${contractStatusText(state)}」の保証契約はありません。`;
  return "保証契約はまだありません。";
}

function contractSearchForm(state: ContractListState): HTMLFormElement {
  const choice = (id: string, label: string, options: [string, string][], value: string) =>
    h("p", { class: "field inline" }, h("label", { for: id }, label),
      h("select", { id, name: id }, ...options.map(([v, t]) => h("option", { value: v, selected: v === value }, t))));
  const form = h("form", { class: "filters desk-search", id: "contracts-search", role: "search" },
    h("div", { class: "field" }, h("label", { for: "contracts-q" }, "検索（工事名・保証契約番号）"),
      h("input", { id: "contracts-q", name: "q", type: "search", value: state.q, autocomplete: "off", "aria-describedby": "contracts-q-help" }),
      h("p", { class: "help", id: "contracts-q-help" }, "工事名の一部、または保証契約番号（一部でも可）。全角・小文字で入力しても検索できます。")),
    choice("contracts-status", "状態", CONTRACT_STATUSES, state.status),
    choice("contracts-limit", "表示件数", CONTRACT_PAGE_SIZES.map((n): [string, string] => [n, `${n} 件`]), String(state.limit)),
    h("p", { class: "actions" }, h("button", { type: "submit" }, "検索"),
      state.q || state.status ? h("a", { href: "#/contracts", id: "contracts-clear" }, "条件をクリア") : null));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = (id: string) => form.querySelector<HTMLInputElement | HTMLSelectElement>(`#${id}`)?.value ?? "";
    const href = contractListHref({ q: value("contracts-q").trim(), status: value("contracts-status"), limit: Number(value("contracts-limit")) });
    if (location.hash === href) void route(); // the same search again: read it again
    else location.hash = href;
  });
  return form;
}

/** 電子保証 in its own window: the leaflet's two statements, the certificate, 印刷 / 閉じる. */
async function certificateWindow(number: string, version: number): Promise<void> {
  const d = await api.call<Detail>("GET", contractPath(number));
  const entry = d.history.find((e) => e.version === version);
  if (!entry) {
    show(h("h1", {}, "電子保証"), message("この電子保証は表示できません。"));
    return;
  }
  const entryLabel = entry.label;
  // The one in force comes with the overview; an earlier one is asked for (its whole certificate, as issued).
  const c = d.certificate && d.certificate.version === version
    ? d.certificate
    : (await api.call<Schemas["CertificateVersion"]>("GET", contractPath(number, `/certificates/${version}`))).certificate;
  const pdf = actionButton("PDFを表示", () => openInWindow(documentLink(contractPath(number, `/certificates/${version}`))), { id: "certificate-pdf" });
  const print = actionButton("印刷", () => window.print(), { class: "primary" });
  const close = actionButton("閉じる", () => window.close());
  const contractor = c.contractor.jv_name ? `${c.contractor.name}（${c.contractor.jv_name}）` : c.contractor.name;
  const issuer = issuerOf(d);
  // The document's own title: the insurer's 公共工事履行保証証券, the bank's 保証書, the surety's 保証証書.
  const title = (issuer ? documentTitle(await loadIssuers(), issuer.issuer_id, c.product) : null) ?? DOCUMENT_TITLES.surety_certificate;
  const facts = h("table", { class: "facts", id: "certificate" }, h("caption", {}, `${title}（${c.product_label}）　${entryLabel === "新規" ? "" : entryLabel}`),
    h("tbody", {},
      row("保証契約番号", d.contract_number),
      issuer ? row("保証会社等（発行者）", issuerText(issuer)) : null,
      row("保証契約者", c.contractor.address ? `${c.contractor.address}　${contractor}` : contractor),
      row("被保証者", c.beneficiary),
      row("保証金額（総額）", yen(c.guarantee_amount)),
      row("保証期限", wareki(c.guarantee_deadline)),
      row("工事名", c.work_name),
      row("請負金額（総額）", yen(c.contract_price)),
      row("工期", `${wareki(c.period_start)} ～ ${wareki(c.period_end)}`),
      c.contract_date ? row("請負契約日", wareki(c.contract_date)) : null,
      c.deposit_bank ? row("預託金融機関", c.deposit_bank) : null,
      row("電子保証発行日時", wareki(c.issued_at, true))));
  // An earlier version is shown as it was issued; the window says which one is in force now.
  const inForce = d.certificate && d.certificate.version !== version
    ? message(`これは${entryLabel}の電子保証です。現在有効な電子保証は「${d.certificate.label}」です。`, "info") : null;
  inForce?.classList.add("no-print"); // a note on the screen, not part of the certificate printed
  document.body.classList.add("certificate-window");
  show(h("h1", {}, `電子保証（${entryLabel}）`),
    h("ul", { class: "statements" },
      h("li", {}, `インターネット保証サービス利用規約に基づき、お客さまに代わり、発注者に対して${title}を当社で提出しています。`),
      h("li", {}, `ご覧いただいている本画面の情報は、発注者に提出した${title}と同一です。`)),
    inForce,
    facts,
    h("p", { class: "help" }, `${title}（書面）の発行は行わない電子的な取扱となります。`),
    h("div", { id: "action-result", "aria-live": "polite" }),
    h("p", { class: "actions no-print" }, print, pdf, close));
}

// ------------------------------------------------------------------ 変更申込

type ChangeDraft = Record<string, string> & { idempotency_key: string; number: string };
const CHANGE_DRAFT = "change";
let changeOpen = false;

function readChange(): ChangeDraft | null {
  const form = document.getElementById("change-form") as HTMLFormElement | null;
  if (!form) return null;
  const values: Record<string, string> = {};
  new FormData(form).forEach((v, k) => (values[k] = String(v)));
  values.idempotency_key = form.dataset.idempotencyKey ?? crypto.randomUUID();
  values.number = form.dataset.number ?? "";
  return values as ChangeDraft;
}

function changeBody(values: ChangeDraft): unknown {
  const take = (k: string) => (values[k] ?? "").trim() || undefined;
  const group = (entries: [string, string | undefined][]) =>
    Object.fromEntries(entries.filter(([, v]) => v !== undefined));
  return {
    guarantee: group([["amount", take("guarantee.amount")], ["deadline", take("guarantee.deadline")]]),
    work: group([["period_start", take("work.period_start")], ["period_end", take("work.period_end")],
      ["contract_price", take("work.contract_price")]]),
    reason: (values.reason ?? "").trim(),
  };
}

async function changeView(number: string): Promise<void> {
  const d = await api.call<Detail>("GET", contractPath(number));
  const c = d.certificate;
  if (!c) {
    show(h("h1", {}, "変更申込"), message("この保証はまだ発行手続中です。", "info"));
    return;
  }
  const back = h("p", {}, h("a", { href: `#${contractPath(number)}` }, "電子保証概要へ戻る"));
  if (d.pending_change) {
    show(h("h1", {}, "変更申込"), message(`この保証契約には審査中の変更申込（申込番号 ${referenceOf(d.pending_change)}）があります。発行または却下の後に申し込めます。`, "info"), back);
    return;
  }
  if (d.status !== "valid") {
    show(h("h1", {}, "変更申込"), message(`この保証は${d.status_label ?? "終了"}のため、変更できません。`, "info"), back);
    return;
  }
  const now = (text: string) => `現在：${text}`;
  const form = h("form", { id: "change-form", novalidate: true },
    h("p", {}, "変更する項目だけを入力してください。変更後の電子保証（", d.next_change_label ?? "変更", "）には、変更しない項目もそのまま記載されます。"),
    h("h2", {}, "保証"),
    input("guarantee.amount", "保証金額（円）", { inputmode: "numeric" }, now(yen(c.guarantee_amount))),
    input("guarantee.deadline", "保証期限", { placeholder: c.guarantee_deadline }, now(`${wareki(c.guarantee_deadline)}（${c.guarantee_deadline}）`)),
    h("h2", {}, "工事（業務）"),
    input("work.period_start", "工期（自）", { placeholder: c.period_start }, now(`${wareki(c.period_start)}（${c.period_start}）`)),
    input("work.period_end", "工期（至）", { placeholder: c.period_end }, now(`${wareki(c.period_end)}（${c.period_end}）`)),
    input("work.contract_price", "請負金額（円）", { inputmode: "numeric" },
      `${now(yen(c.contract_price))}　※請負金額のみの変更の場合は、この保証契約の効力に影響を及ぼさないので、保証契約変更の手続きをとる必要はありません。`),
    h("h2", {}, "変更の理由"),
    h("div", { class: "field", "data-field": "reason" },
      h("label", { for: "f-reason" }, "変更理由"),
      h("textarea", { id: "f-reason", name: "reason", rows: "3", required: true, maxlength: "500", "aria-describedby": "f-reason-error" }),
      h("p", { class: "field-error", id: "f-reason-error" })),
    h("p", { class: "field-error", id: "change-form-error", "data-field": "body" }),
    h("p", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "変更を申込む"), h("a", { href: `#${contractPath(number)}` }, "キャンセル")),
    h("div", { id: "change-result", "aria-live": "polite" }));
  form.dataset.number = number;

  const draft = drafts.load<ChangeDraft>(CHANGE_DRAFT);
  const mine = draft && draft.number === number ? draft : null;
  form.dataset.idempotencyKey = mine?.idempotency_key ?? crypto.randomUUID();
  if (mine) {
    for (const [name, value] of Object.entries(mine)) {
      const control = form.querySelector<HTMLInputElement | HTMLTextAreaElement>(`[name="${name}"]`);
      if (control) control.value = value;
    }
  }
  form.addEventListener("input", () => {
    const values = readChange();
    if (values) drafts.save(CHANGE_DRAFT, values);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.querySelectorAll(".field-error").forEach((e) => (e.textContent = ""));
    form.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
    const result = document.getElementById("change-result")!;
    result.replaceChildren();
    const values = readChange()!;
    drafts.save(CHANGE_DRAFT, values);
    try {
      const created = await api.call<{ application_id: string; status: string }>("POST", contractPath(number, "/changes"), changeBody(values), {
        "Idempotency-Key": values.idempotency_key,
      });
      drafts.drop(CHANGE_DRAFT);
      changeOpen = false;
      // 申込一覧 shows it, with this notice (the route renders it on the change of address).
      nextNotice = message(`変更申込を受け付けました。申込番号 ${referenceOf(created.application_id)}（保証契約番号 ${number}）`, "info");
      location.hash = "#/applications";
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      if (error.status === 409) {
        result.replaceChildren(message(error.code === "change_pending"
          ? "この保証契約には審査中の変更申込があります。発行または却下の後に申し込めます。"
          : error.code === "guarantee_ended" ? "この保証は終了しているため、変更できません。" : `${error.message}（${errorJa(error.code)}）`));
        return;
      }
      result.replaceChildren(message(error.message));
      showFieldErrors(form, error, document.getElementById("change-form-error"));
    }
  });
  changeOpen = true;
  show(h("h1", {}, `変更申込（${number}）`), form, back);
}

// ------------------------------------------------------------------ routing

async function route(): Promise<void> {
  formOpen = false;
  changeOpen = false;
  document.body.classList.remove("certificate-window");
  const [path, search = ""] = (location.hash.replace(/^#/, "") || "/apply").split("?", 2);
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === "contracts" && parts[1] && parts[2] === "history") await historyView(parts[1]);
    else if (parts[0] === "contracts" && parts[1] && parts[2] === "change") await changeView(parts[1]);
    else if (parts[0] === "contracts" && parts[1] && parts[2] === "certificate" && parts[3]) await certificateWindow(parts[1], Number(parts[3]));
    else if (parts[0] === "contracts" && parts[1]) await overviewView(parts[1]);
    else if (parts[0] === "contracts") await contractsView(new URLSearchParams(search));
    else if (parts[0] === "applications" && parts[1]) await applicationView(parts[1]);
    else if (parts[0] === "applications") await applicationsView();
    else if (parts[0] === "profile") await profileView();
    else if (parts[0] === "help") helpView(parts[1] ?? "contracts");
    else if (parts[0] === "apply" && parts[1] === "from" && parts[2]) await applyView(parts[2]);
    else await applyView();
    document.getElementById("main")?.focus();
  } catch (error) {
    show(message(error instanceof Error ? error.message : String(error)));
  }
}

void boot(FRONT, async () => {
  const token = await session(FRONT);
  if (!token) await signIn(FRONT);
  nav(FRONT, [["#/apply", "保証申込"], ["#/applications", "申込一覧"], ["#/contracts", "保証契約一覧"], ["#/profile", "会社情報"],
    ["#/help/contracts", "ヘルプ"]]);
  showWho(await loadProfile(), token);
  window.addEventListener("hashchange", () => void route());
  await route();
});
