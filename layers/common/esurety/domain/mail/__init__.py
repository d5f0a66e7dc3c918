"""The texts of the e-mails (to contractors and to staff); the sending is esurety/aws/mailer.py and the outbox."""
