# piv-auth: user-auth in the PIV authentication slot (9A) of a PIV card:
# Windows and Kerberos (PKINIT) smart-card logon and TLS client
# authentication, with the key where PIV middleware looks for it.
#
# Variables: name (the person's name as people read it) and upn (their
#   User Principal Name, the account that logon maps the card to), e.g.
#   --set "name=Alice Example" --set upn=alice@example.org
#
# id = 01: OpenSC's PIV driver gives the key in slot 9A ("PIV AUTH key")
#   CKA_ID 01. The slot holds one key: enroll refuses it while any key is
#   there, and renew generates the new key into it, which on a card
#   replaces the old one (see p11enroll(1), renew).
# The label stays the role's own name, piv-auth: p11enroll finds the
#   role's objects, and tells a finished write from an interrupted one,
#   by the labels it sets.
# ec-p256: PIV cards offer RSA 2048 and ECC P-256; P-256 is quicker on
#   the card and smart-card logon and TLS servers verify it.
# subject, upn, key_usage, extended_key_usage and max_lifetime_days: as
#   for user-auth. The UPN otherName is what logon matches to the account;
#   digitalSignature alone, since the key only signs challenges and
#   handshakes; clientAuth and msSmartcardLogin, the two ways one person
#   proves who they are; two years.

[key]
algorithm = ec-p256
id = 01

[request]
subject = CN=${name}
upn = ${upn}

[certificate]
key_usage = digitalSignature
extended_key_usage = clientAuth, msSmartcardLogin
max_lifetime_days = 730
