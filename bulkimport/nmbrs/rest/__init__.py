"""Nmbrs' REST API: sign-in (OAuth 2.0 authorization code with PKCE) and the token store."""
