"""Japanese conventions: 和暦 dates, yen amounts, text normalisation and the JST clock."""
