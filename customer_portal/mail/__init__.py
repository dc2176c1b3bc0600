"""Customer emails: templates, the transactional outbox and SMTP delivery."""
