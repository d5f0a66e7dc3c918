"""A guarantee's life: its states and steps (lifecycle), the certificate's terms and versions (certificates), what a 変更 or 解約 costs (changes), what a 訂正 may change (amendments)."""
