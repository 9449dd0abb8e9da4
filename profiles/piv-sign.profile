# piv-sign: user-sign in the PIV digital signature slot (9C) of a PIV
# card: documents (PDF, office files) and S/MIME signatures on mail.
#
# Variables: name (the person's name as people read it) and email (their
#   mail address, which mail clients match to the sender), e.g.
#   --set "name=Alice Example" --set email=alice@example.org
#
# id = 02: OpenSC's PIV driver gives the key in slot 9C ("SIGN key")
#   CKA_ID 02. PIV cards ask for the PIN before every signature with this
#   key, the card's own guard on the person's consent.
# The label stays the role's own name, piv-sign, as for piv-auth.
# ec-p256: PIV cards offer RSA 2048 and ECC P-256; PDF readers, S/MIME
#   clients and the European signature formats all verify P-256.
# subject, email, key_usage, extended_key_usage and max_lifetime_days: as
#   for user-sign. digitalSignature and nonRepudiation, emailProtection,
#   no clientAuth (that is piv-auth's key); three years.

[key]
algorithm = ec-p256
id = 02

[request]
subject = CN=${name}
email = ${email}

[certificate]
key_usage = digitalSignature, nonRepudiation
extended_key_usage = emailProtection
max_lifetime_days = 1095
