# tls-server: the key a TLS server proves its name with.
#
# Variables: dns (the server's DNS name), e.g. --set dns=www.example.org
#
# ec-p256: every current TLS client verifies ECDSA P-256, and its
#   signatures are small and quick to make on a token.
# subject and SAN: clients match the name in the dns SAN (RFC 6125); the CN
#   repeats it only for people reading the certificate.
# key_usage = digitalSignature alone: with ECDHE key exchange the server
#   key only signs the handshake and never decrypts, so keyEncipherment
#   (RSA key transport) is left out and the key cannot be used to decrypt.
# extended_key_usage = serverAuth alone: a server certificate that also
#   authenticates as a client is two roles in one key.
# max_lifetime_days = 398: the CA/Browser Forum limit for publicly trusted
#   TLS server certificates.

[key]
algorithm = ec-p256

[request]
subject = CN=${dns}
dns = ${dns}

[certificate]
key_usage = digitalSignature
extended_key_usage = serverAuth
max_lifetime_days = 398
