"""Every error code the API answers, with the Japanese the screens show for it: the one registry.

An error item is `{"field", "code", "reason"}` (a 422), a refusal `{"message", "code", ...}`
(403, 404, 409, 415, 428, 429). `code` is stable snake_case, for programs and the screens; `reason`
stays English, for the developers of client systems and the log, and may change wording.

From this table tools/openapi.py writes the `code` enum of docs/openapi.json and tools/error_messages.py
writes web/src/error_messages.ts (the screens' code → Japanese); tests/integration/test_error_codes.py keeps the
three equal and checks that what the handlers answer is listed here. A new code is added here first.

Pydantic's own error types (`missing`, `string_too_long`, …) are mapped to these codes by
`from_pydantic`; our own validators raise `PydanticCustomError(code, reason)` with a code of this table.
"""
from __future__ import annotations

from .attachments import REASONS as _UPLOAD_REASONS

GENERIC = "入力内容を確認してください。"  # what a screen shows for a code it does not know

MESSAGES: dict[str, str] = {
    # ---------------------------------------------------------------- any field (pydantic's checks)
    "required": "入力してください。",
    "empty": "入力してください。",
    "too_long": "文字数が上限を超えています。短くしてください。",
    "unknown_field": "この項目は指定できません。",
    "wrong_type": "値の形式が正しくありません。",
    "invalid_choice": "選択肢の中から選んでください。",
    "invalid_format": "形式が正しくありません。",
    "too_small": "値が小さすぎます。",
    "too_large": "値が大きすぎます。",
    "invalid": GENERIC,
    # ---------------------------------------------------------------- our own field formats
    "not_yen_amount": "金額（円、整数）を入力してください。",
    "not_a_date": "日付を入力してください（例：2026-12-01、令和8年12月1日、R8.12.1）。",
    "not_a_calendar_date": "存在しない日付です。",
    "not_in_era": "元号と年が合いません（令和は2019年5月1日から、平成は2019年4月30日まで。令和0年はありません）。",
    "before_heisei": "平成元年（1989年1月8日）より前の日付は指定できません。",
    "not_branch_code": "支店コード（数字2桁）を入力してください。",
    "unknown_branch": "この支店コードの支店はありません。",
    "not_email": "メールアドレスを入力してください。",
    "email_local_not_ascii": "メールアドレスの＠より前は半角英数字と記号で入力してください。",
    "email_domain_invalid": "メールアドレスの＠より後（ドメイン）が正しくありません。",
    "email_too_long": "メールアドレスが長すぎます（254文字以内）。",
    "unprintable_character": "印刷できない文字（制御文字や見えない文字）が含まれています。",
    "no_visible_character": "文字を入力してください。",
    # ---------------------------------------------------------------- the body as a whole
    "empty_body": "リクエストの本文が空です。",
    "invalid_json": "リクエストの本文を JSON として読み取れません。",
    "not_an_object": "リクエストの本文は JSON のオブジェクト（{ }）で送ってください。",
    "not_utf8": "リクエストの本文が UTF-8 の文字列ではありません。",
    "integer_too_long": "桁数が多すぎる数値が含まれています。",
    "duplicate_field": "同じ項目が2回指定されています。",
    "too_deep": "リクエストの本文の入れ子が深すぎます。",
    "lone_surrogate": "文字として読めない値（サロゲート）が含まれています。",
    "unsupported_media_type": "Content-Type が application/json ではありません。本文は JSON のオブジェクトで送ってください。",
    # ---------------------------------------------------------------- an application (rules)
    "orderer_with_orderer_id": "登録済みの発注者を選んだ場合、発注者名は入力できません。",
    "electronic_needs_registered_orderer": "電子保証は登録済みの発注者だけが対象です。書面を選んでください。",
    "unknown_orderer": "登録されていない発注者です。",
    "orderer_not_electronic_product": "この発注者はこの保証の電子保証を受け付けていません。書面を選んでください。",
    "orderer_not_electronic_yet": "この発注者が電子保証を受け付けるのはまだ先です。書面を選んでください。",
    "unknown_issuer": "登録されていない保証会社・保険会社・金融機関です。",
    "issuer_not_offering_product": "選んだ保証会社・保険会社・金融機関はこの保証を取り扱っていません。",
    "issuer_kind_not_accepted": "この発注者は、この保証について選んだ種類の発行者（保証事業会社・損害保険会社・銀行）の電子保証をまだ受け付けていません。",
    "issuer_not_taking_applications": "選んだ発行者は現在お申込みを受け付けていません。",
    "not_contract_issuer": "この保証契約の発行者と異なる発行者は指定できません。",
    "too_far_ahead": "10年より先の日付は指定できません。",
    "period_end_before_start": "工期（至）が工期（自）より前です。",
    "contract_date_after_period_end": "請負契約日が工期（至）より後です。",
    "contract_date_after_period_start": "請負契約日が工期（自）より後です。請負契約日は工期の始まり以前の日付にしてください。",
    "contract_date_in_future": "請負契約日が未来の日付です。請負契約を締結した日を入力してください。",
    "amount_over_price": "保証金額が請負金額を超えています。",
    "guarantee_below_contract_minimum": "契約保証の保証金額は請負金額の10分の1以上にしてください。",
    "guarantee_below_low_bid_minimum": "低入札価格調査を経た契約の契約保証は、保証金額を請負金額の10分の3以上にしてください。",
    "deadline_in_past": "保証期限が過去の日付です。",
    "deadline_before_period_end": "保証期限が工期（至）より前です。保証期限は工期の終わり以降にしてください。",
    "deposit_bank_required": "前払金保証・中間前払金保証では預託金融機関（前払金を預け入れる金融機関）を入力してください。",
    "deposit_bank_not_allowed": "この保証では預託金融機関は指定できません。",
    "only_for_interim": "中間前払金保証の申込みでだけ指定できます。",
    "upload_required": "認定調書（PDF）を添付してください。",
    "advance_contract_required": "前払金保証の保証契約番号を選んでください。",
    "interim_over_share": "保証金額が請負金額の2割を超えています（中間前払金は請負代金額の2割以内）。",
    "deadline_passed": "保証期限が申込み後に過ぎました。",
    "orderer_left_registry": "発注者が登録から外れました。",
    # ---------------------------------------------------------------- the 前払金保証 an interim follows
    "not_contract_number": "保証契約番号の形式ではありません。",
    "no_such_contract": "御社の保証契約にこの保証契約番号はありません。",
    "not_advance_payment_contract": "前払金保証の保証契約ではありません。",
    "other_orderer": "発注者が異なる前払金保証です。発注者を確認してください。",
    "advance_not_in_force": "終了した、またはまだ発行されていない前払金保証です。",
    # ---------------------------------------------------------------- uploads (認定調書)
    "not_upload_id": "添付した認定調書が見つかりません。もう一度選んでください。",
    "no_such_upload": "添付した認定調書が見つかりません。もう一度選んでください。",
    "upload_pending": "認定調書の確認がまだ終わっていません。",
    "upload_not_pinned": "認定調書を確認できませんでした。もう一度添付してください。",
    # ---------------------------------------------------------------- changes, corrections, endings
    "nothing_changes": "変更する項目（保証金額、保証期限、工期）を入力してください。",
    "price_change_alone": "請負金額だけの変更は申込みが不要です。保証金額・保証期限・工期の変更と一緒に入力してください。",
    "not_correctable": "この項目は訂正できません。",
    "cannot_remove": "この項目は証書から削除できません。訂正後の値を入力してください。",
    "nothing_named": "訂正する項目を入力してください。",
    "nothing_corrected": "訂正前と同じ内容です。訂正する値を入力してください。",
    "date_before_issue": "保証の発行日より前の日付です。",
    "date_after_deadline": "保証期限より後の日付です。保証は期限満了しており、解約できません。",
    "guarantee_ended": "この保証は終了しています。",
    # ---------------------------------------------------------------- request parameters and headers
    "not_application_id": "申込番号の形式ではありません。",
    "invalid_version": "版の番号が正しくありません。",
    "invalid_cursor": "一覧の続きを読み込めません。最初から表示し直してください。",
    "invalid_limit": "件数の指定が正しくありません。",
    "invalid_idempotency_key": "Idempotency-Key は半角の英数字・記号 1〜255 文字で指定してください。",
    "idempotency_key_reused": "この Idempotency-Key は別の申込みに使われています。",
    "invalid_if_match": "If-Match には保証契約の版を指定してください。",
    # ---------------------------------------------------------------- the staff's search and the verification lock
    "date_range_reversed": "終わりの日付が始まりの日付より前です。",
    "reason_required": "理由を入力してください。",
    # ---------------------------------------------------------------- the orderer's desk and 提出
    "unknown_department": "この発注者の、この保証を受け付ける部署を選んでください。",
    "unknown_encoding": "文字コードは utf-8（BOM付き）または cp932（シフトJIS）を指定してください。",
    # ---------------------------------------------------------------- refusals (4xx without items)
    "forbidden": "この操作を行う権限がありません。",
    "not_found": "該当する情報が見つかりません。保証契約番号と認証キーをご確認ください。",
    "key_renewed": "この認証キーは再発行により使えなくなりました。新しい認証キーを受注者にお尋ねください（再度入力しても照会できません）。",
    "if_match_required": "操作の対象とした保証契約の版（If-Match）が指定されていません。最新の状態を表示してから、もう一度操作してください。",
    "too_many_attempts": "認証に続けて失敗したため、しばらく照会できません。時間をおいて再度お試しください。",
    # 409: the state does not allow the operation
    "application_rejected": "この申込みは却下されています。",
    "application_issued": "この申込みは発行済みです。",
    "application_being_issued": "この申込みは発行処理中です。しばらくしてから状態を確認してください。",
    "cannot_issue": "今日の時点では発行できない申込みです（内容を確認してください）。",
    "no_certificate_yet": "まだ証書が発行されていません。",
    "change_pending": "この保証契約には審査中の変更申込みがあります。",
    "contract_changed": "保証契約が他の操作で変わりました。最新の状態を表示してから、もう一度操作してください。",
    "not_yet_published": "発行済みで公開前の証書があります。公開後にもう一度操作してください。",
    "version_not_shown": "この版は現在の履歴に表示されていません。",
    "only_changes_cancellable": "取り消せるのは変更だけです（新規は解約で終わります）。",
    "only_last_change_cancellable": "取り消せるのは最後の変更だけです。後の変更から取り消してください。",
    "already_cancelled_differently": "この変更は別の理由で取り消し済みです。",
    "ending_recorded_differently": "この保証の終了は別の内容で記録済みです。",
    "paper_has_no_auth_key": "書面の保証には認証キーがありません。",
    "direct_submission_not_accepted": "この発注者は、この保証について電子保証の提出を受け付けていません。認証キーのお知らせを従来どおりお渡しください。",
    "notice_not_renewed": "この版の「認証キーのお知らせ」は、現在の認証キーではまだ作成されていません。認証キーの再発行をご依頼ください。",
    # ---------------------------------------------------------------- four eyes (承認)
    "not_approval_id": "承認番号の形式ではありません。",
    "own_decision_not_approvable": "ご自身が行った判断は承認・差戻しできません。別の職員に承認を依頼してください。",
    "approval_not_pending": "この承認依頼は承認待ちではありません（承認済みまたは差戻し済みです）。最新の状態を表示してください。",
    "approval_pending": "この申込み・保証契約には承認待ちの判断があります。承認または差戻しの後にもう一度操作してください。",
    # 503: the issuer's signing key or certificate cannot sign now (nothing was issued or stored)
    "issuer_signing_unavailable": "発行者の電子署名の鍵または証明書が使えないため、いま書類を作成できません。運用担当者が対応しますので、時間をおいて再度お試しください。",
}

# A refused 認定調書: one code per reason the check gives (esurety/domain/attachments.py), `upload_<reason>`.
UPLOAD_REFUSED_PREFIX = "upload_"
for _code, (_english, _japanese) in _UPLOAD_REASONS.items():
    MESSAGES[UPLOAD_REFUSED_PREFIX + _code] = f"認定調書を受け付けられませんでした：{_japanese}別の PDF を選んでください。"
MESSAGES["upload_refused"] = "認定調書を受け付けられませんでした。別の PDF を選んでください。"  # a reason of an older check


def upload_refused(reason_code: str | None) -> str:
    code = UPLOAD_REFUSED_PREFIX + (reason_code or "")
    return code if code in MESSAGES else "upload_refused"


# Pydantic's error types (pydantic_core's ErrorType) → our codes. Those not listed answer `invalid`.
PYDANTIC: dict[str, str] = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "string_too_short": "empty",
    "too_short": "empty",
    "string_too_long": "too_long",
    "too_long": "too_long",
    "string_type": "wrong_type",
    "string_unicode": "wrong_type",
    "int_type": "wrong_type",
    "int_parsing": "wrong_type",
    "int_from_float": "wrong_type",
    "bool_type": "wrong_type",
    "model_type": "wrong_type",
    "model_attributes_type": "wrong_type",
    "dict_type": "wrong_type",
    "list_type": "wrong_type",
    "none_required": "wrong_type",
    "literal_error": "invalid_choice",
    "enum": "invalid_choice",
    "string_pattern_mismatch": "invalid_format",
    "greater_than": "too_small",
    "greater_than_equal": "too_small",
    "less_than": "too_large",
    "less_than_equal": "too_large",
    "date_type": "not_a_date",
    "date_parsing": "not_a_date",
    "date_from_datetime_parsing": "not_a_date",
    "date_from_datetime_inexact": "not_a_date",
    "date_future": "not_a_date",
    "date_past": "not_a_date",
    "json_invalid": "invalid_json",
    "json_type": "invalid_json",
}

# Reasons in English where pydantic's own would mislead a developer reading the answer.
_PYDANTIC_REASONS = {
    "missing": "is required",
    "extra_forbidden": "is not a field of this request",
    "json_invalid": "is not valid JSON",
}


def from_pydantic(error: dict) -> tuple[str, str]:
    """(code, English reason) of one pydantic error (`ValidationError.errors()` item)."""
    kind = str(error.get("type", ""))
    code = kind if kind in MESSAGES else PYDANTIC.get(kind, "invalid")
    reason = _PYDANTIC_REASONS.get(kind) or str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    return code, reason
