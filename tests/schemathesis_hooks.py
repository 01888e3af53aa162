"""Schemathesis hooks for tests/openapi_schemathesis.rs: `application/pdf` request bodies.

Schemathesis has no serializer for `application/pdf`, so without this it never sends one.
Bodies are random bytes, half of them behind a `%PDF-1.7` header: those pass intake's cheap
checks (size, header) and become real jobs, which then fail their `validation` stage, so the
stateful phase follows the 202's links to live status views; the rest must be answered
`400 INVALID_PDF` (or `EMPTY_BODY`).
"""

import schemathesis
from hypothesis import strategies as st

PDF_BODIES = st.one_of(
    st.binary(max_size=512),
    st.binary(max_size=512).map(lambda tail: b"%PDF-1.7\n" + tail),
)

schemathesis.openapi.media_type("application/pdf", PDF_BODIES)
