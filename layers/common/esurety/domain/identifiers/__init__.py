"""The numbers a guarantee is known by: the contract number and the auth key (認証キー)."""
