# user-encrypt: the key that opens mail and files encrypted to a person,
# with S/MIME key transport (RSA): the sender encrypts a content key to
# the certificate, and only this key on the card unwraps it.
#
# Variables: name (the person's name as people read it) and email (their
#   mail address, which senders look the certificate up by), e.g.
#   --set "name=Alice Example" --set email=alice@example.org
#
# rsa-2048: RSA key transport is what mail clients universally accept for
#   encryption certificates; support for EC key agreement (ECDH, RFC 5753)
#   is still patchy. user-encrypt-ec is the same role for EC keys.
# subject = CN=${name} and email = ${email}: senders find the certificate
#   by the rfc822Name SAN (RFC 8550).
# key_usage = keyEncipherment alone: the key decrypts and unwraps the
#   content keys sent to the person, and nothing else. It signs only once,
#   its own request (proof of possession, which PKCS#10 requires), and
#   p11enroll then takes CKA_SIGN away, so the key on the card cannot sign
#   anything after that. An RSA key that both decrypts and signs lets an
#   attack on one use reach the other (whoever gets ciphertexts decrypted
#   may get signatures made), and a decryption key may need a copy kept
#   for old mail, which a signing key must never have.
# extended_key_usage = emailProtection: S/MIME.
# max_lifetime_days = 1095: three years, as for user-sign; keep the key
#   (and an escrowed copy, if the organisation escrows keys outside this
#   card) for as long as old mail must stay readable.

[key]
algorithm = rsa-2048

[request]
subject = CN=${name}
email = ${email}

[certificate]
key_usage = keyEncipherment
extended_key_usage = emailProtection
max_lifetime_days = 1095
