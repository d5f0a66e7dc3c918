"""What is offered and by whom: the products, the orderers (発注者), the issuer (the surety company) and the fee table."""
