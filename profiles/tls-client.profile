# tls-client: the key a machine or service authenticates with as a TLS
# client (mutual TLS).
#
# Variables: cn (the client's name as the server will see it), e.g.
#   --set cn=backup-agent-07
#
# ec-p256: every current TLS server verifies ECDSA P-256.
# subject = CN=${cn} and no SAN: servers that authorise clients by
#   certificate usually match the subject CN; a role that needs a DNS or
#   URI identity should have its own profile.
# key_usage = digitalSignature alone: a TLS client key only signs the
#   CertificateVerify message.
# extended_key_usage = clientAuth alone: a client certificate that also
#   works as a server certificate is two roles in one key.
# max_lifetime_days = 825: client certificates come from private CAs,
#   outside the CA/Browser Forum's 398-day rule for public server
#   certificates; 825 days (about 27 months) was that rule's earlier bound
#   and is a common ceiling for private TLS certificates.

[key]
algorithm = ec-p256

[request]
subject = CN=${cn}

[certificate]
key_usage = digitalSignature
extended_key_usage = clientAuth
max_lifetime_days = 825
