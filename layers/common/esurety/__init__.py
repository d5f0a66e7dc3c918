"""esurety: electronic surety certificates (電子保証) for Japanese public works.

The package is shared by every Lambda function through the common layer. Domain modules
(products, contract_number, auth_key, wareki, money, text, rules, orderers) are pure Python;
AWS access lives in models, keys, storage, mailer and mail_queue; services compose the two.
"""
