# piv-key-management: user-encrypt in the PIV key management slot (9D) of
# a PIV card: the key that opens mail and files encrypted to a person with
# S/MIME key transport (RSA).
#
# Variables: name (the person's name as people read it) and email (their
#   mail address, which senders look the certificate up by), e.g.
#   --set "name=Alice Example" --set email=alice@example.org
#
# id = 03: OpenSC's PIV driver gives the key in slot 9D ("KEY MAN key")
#   CKA_ID 03.
# The label stays the role's own name, piv-key-management, as for
#   piv-auth.
# rsa-2048: the one RSA size PIV cards offer, and RSA key transport is
#   what mail clients universally accept for encryption certificates.
# subject, email, key_usage, extended_key_usage and max_lifetime_days: as
#   for user-encrypt. keyEncipherment alone: the key decrypts and unwraps
#   content keys; it signs its own request once, and p11enroll then takes
#   CKA_SIGN away. emailProtection; three years. Renewing replaces the key
#   in slot 9D: mail encrypted to the old certificate can no longer be
#   read with the card (PIV keeps older key management keys in the
#   retired slots 82-95, which p11enroll does not manage), so keep an
#   escrowed copy where old mail must stay readable.

[key]
algorithm = rsa-2048
id = 03

[request]
subject = CN=${name}
email = ${email}

[certificate]
key_usage = keyEncipherment
extended_key_usage = emailProtection
max_lifetime_days = 1095
