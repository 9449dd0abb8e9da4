# code-signing: the key that signs software releases, packages and
# binaries (Authenticode, Java JARs, macOS and package signatures), kept
# on an HSM or token as the code-signing baseline requirements demand.
#
# Variables: name (the publisher's name as users will see it) and org (the
#   organisation that publishes), e.g.
#   --set "name=Example Build Service" --set "org=Example Ltd"
#
# rsa-3072: the CA/Browser Forum code-signing baseline requirements ask
#   for RSA 3072 bits or more, or ECDSA P-256 or P-384; RSA 3072 is what
#   the widest range of verifiers (older Windows, Java, firmware loaders)
#   accepts.
# subject = CN=${name}, O=${org}: written as RFC 4514 writes names, the
#   most specific attribute first, so the request's subject is the
#   sequence O=${org} then CN=${name} (openssl prints it as
#   "O = ..., CN = ..."). Values are data: a comma or '=' in ${name} or
#   ${org} stays in that attribute. Verifiers show the publisher's O and
#   CN; no SAN is needed.
# key_usage = digitalSignature alone: code signing signs and never
#   decrypts.
# extended_key_usage = codeSigning alone: a key that signs code must not
#   also authenticate servers or people, or a stolen TLS key could sign
#   software.
# max_lifetime_days = 1185: 39 months, the baseline requirements' limit for
#   code-signing certificates.

[key]
algorithm = rsa-3072

[request]
subject = CN=${name}, O=${org}

[certificate]
key_usage = digitalSignature
extended_key_usage = codeSigning
max_lifetime_days = 1185
