# user-encrypt-ec: user-encrypt for EC keys: the key that opens mail and
# files encrypted to a person with S/MIME key agreement (ECDH, RFC 5753).
#
# Variables: name (the person's name as people read it) and email (their
#   mail address, which senders look the certificate up by), e.g.
#   --set "name=Bob Example" --set email=bob@example.org
#
# ec-p256: for cards or policies without RSA; check that the senders' mail
#   clients support ECDH key agreement before choosing it over
#   user-encrypt.
# subject = CN=${name} and email = ${email}: senders find the certificate
#   by the rfc822Name SAN (RFC 8550).
# key_usage = keyAgreement alone: an EC key cannot decrypt, so
#   keyEncipherment is not possible; the sender derives a key-encryption
#   key by ECDH and the card derives the same one. The key on the card
#   may only derive (CKA_DERIVE): it signs its own request once (proof of
#   possession) and p11enroll then takes CKA_SIGN away.
# extended_key_usage = emailProtection: S/MIME.
# max_lifetime_days = 1095: three years, as for user-encrypt.
#
# The label stays the role's own name, user-encrypt-ec, so that a card can
# tell which of the two encryption roles it holds.

[key]
algorithm = ec-p256

[request]
subject = CN=${name}
email = ${email}

[certificate]
key_usage = keyAgreement
extended_key_usage = emailProtection
max_lifetime_days = 1095
