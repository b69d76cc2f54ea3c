"""The emulator's REST front door: Nmbrs' REST API and identity service on the SOAP door's state.

Modules: schemas (generated from Nmbrs' OpenAPI document by scripts/gen_rest_schemas.py),
validation (bodies against those schemas), ids (int <-> UUID), oauth (the identity service),
problems (Nmbrs' JSON error shape), resources (the operations on the shared state), service
(settings, gateway checks), door (aiohttp routes).

Followed from the OpenAPI document and REST.md: paths, methods, success statuses (POST 201
with the new id), request and response schemas, the error shape and its codes (400 40033,
401 40101/40102, 404 40401/40404, 429 42908/42909, 500 50001, 503 50301), pagination
(pageNumber from 1, pageSize 20 by default, at most 100; absolute page links, `nextPage`
null on the last page), OAuth 2.0 authorization code with PKCE at /connect/authorize, /token,
/revocation and /.well-known/openid-configuration, refresh tokens that rotate (a used one is
refused with invalid_grant), codes valid five minutes, `offline_access` needed for a refresh
token, the X-Subscription-Key header on every call.

Inferred (Nmbrs does not document it; where unsure the emulator is the stricter one):
- A missing or unknown X-Subscription-Key is refused with 403 40304 Invalid_Subscription.
  A token whose scopes do not cover the operation gets 403 40303.
- Gateway order: subscription key, quota (42909), rate limit (42908), then token (401).
  Only admitted calls count against the limit and the quota. The limit is a sliding
  one-second window per subscription key; no Retry-After header (none is documented).
- PKCE (S256) is required; any http loopback redirect URI is accepted for the demo client;
  the demo user consents at once. Revoking a refresh token ends its grant, access tokens too;
  refreshing leaves the earlier access token valid until it expires.
- Business refusals (the SOAP door's rules: IBAN and BSN checks, duplicate employee
  numbers, contract dates, hours out of range) are 400 40033 naming the REST field.
  Unknown employee: 404 40401; unknown company: 404 40404; an employeeId filter naming
  no employee gives an empty list. Malformed JSON, a wrong Content-Type, bad page values,
  a path id that is no UUID: 400 40033 naming the parameter. A page past the end is empty.
- Creating an employee needs PersonalInfo.basicInfo and AdditionalEmployeeInfo.inServiceDate
  (the schema marks neither required, an employee without them cannot exist);
  defaultEmployeeTemplate, salary tables and workAddress are not emulated (400).
  REST has no unprotectedMode for creating employees, contracts, salaries or schedules, so
  their dates may lie in any period. A body period must be a valid one; none means current.
- PUT personalInfo replaces the record of its period (like the SOAP door): what the body
  leaves out becomes empty, except the identity number, which REST keeps apart; a last name
  is required. The employeeType REST sets is kept beside SOAP's employee type (which stays
  2); employees from SOAP show as `payroll`.
- Value mappings to SOAP's enumerations (address, bank account and salary types, gender:
  unspecified/unknown -> undefined, marital status -> BurgerlijkeStaat in Dutch,
  nationality NL <-> code 1); createdAt is the start of the record's period (the contract's
  CreationDate); naive SOAP times are UTC; a part-time percentage from 40 hours a week; a
  schedule with only week1 repeats it in week2. Salary `type` and `value` are required.
- Faults: http_503 answers Nmbrs' 503 JSON, http_500 and nmbrs_fault a 500 50001,
  hostile_reply (change applied) a 200 HTML page from a "proxy"; drop, hang, lost_reply and
  slow as on SOAP. Scripted faults can name a REST operationId.
"""

from __future__ import annotations

from bulkimport.emulator.rest.ids import uuid_of
from bulkimport.emulator.rest.oauth import DEMO_APPLICATION, OAuthApplication, pkce_challenge
from bulkimport.emulator.rest.service import RestConfig

__all__ = ["DEMO_APPLICATION", "OAuthApplication", "RestConfig", "pkce_challenge", "uuid_of"]
