-- The OpenID Connect provider's signing keys, shared by every instance.
-- The private key (PKCS#8) is sealed with the server key, bound to its
-- row; the public JWK is kept beside it for the JWKS. The newest key not
-- retired signs; a retired key stays published until every token it
-- signed has expired.
CREATE TABLE signing_keys (
    id          INTEGER PRIMARY KEY,
    kid         TEXT   NOT NULL UNIQUE,   -- RFC 7638 thumbprint of the public key
    alg         TEXT   NOT NULL CHECK (alg IN ('RS256', 'ES256')),
    private_key BLOB   NOT NULL,
    public_jwk  TEXT   NOT NULL,
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
);
