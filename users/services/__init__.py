"""Writes for accounts: authentication, account life cycle, addresses.

Other apps use: `tokens_for_user`, `user_tokens_revoke` (every token of the account stops
working), `user_password_set` (sets a password and revokes the tokens), `user_deactivate`.
"""

from users.services.accounts import (
    email_verification_resend,
    email_verification_send,
    email_verify,
    password_change,
    password_forgot,
    password_reset,
    user_deactivate,
    user_delete,
    user_password_set,
    user_register,
    user_tokens_revoke,
    user_update,
)
from users.services.addresses import address_create, address_delete, address_update
from users.services.auth import staff_login, token_refresh, user_login, user_logout
from users.tokens import tokens_for_user

__all__ = [
    "address_create",
    "address_delete",
    "address_update",
    "email_verification_resend",
    "email_verification_send",
    "email_verify",
    "password_change",
    "password_forgot",
    "password_reset",
    "staff_login",
    "token_refresh",
    "tokens_for_user",
    "user_deactivate",
    "user_delete",
    "user_login",
    "user_logout",
    "user_password_set",
    "user_register",
    "user_tokens_revoke",
    "user_update",
]
