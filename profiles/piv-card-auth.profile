# piv-card-auth: the PIV card authentication key, slot 9E of a PIV card:
# it proves which card is present, at a door reader or a turnstile, and
# the card uses it without the PIN. It authenticates the card, not the
# person.
#
# Variables: card_uuid (the card's UUID, as in its CHUID), e.g.
#   --set card_uuid=3c8a1f52-7d0e-4b6a-9f21-5e4d2c1b0a99
#
# id = 04: OpenSC's PIV driver gives the key in slot 9E ("CARD AUTH key")
#   CKA_ID 04.
# The label stays the role's own name, piv-card-auth, as for piv-auth.
# ec-p256: PIV cards offer RSA 2048 and ECC P-256; P-256 answers a reader's
#   challenge quickly.
# subject = CN=${card_uuid} and uri = urn:uuid:${card_uuid}: anyone near
#   the card can read this certificate, PIN or not, so it carries no
#   personal data: no name, no mail address, no UPN. FIPS 201 names the
#   card by its UUID in a uniformResourceIdentifier SAN (RFC 4122 URN).
# key_usage = digitalSignature alone: the key signs a reader's challenge.
# extended_key_usage = 2.16.840.1.101.3.6.8 (id-PIV-cardAuth): card
#   authentication and nothing else; no clientAuth or msSmartcardLogin, so
#   a key usable without the PIN cannot log a person in.
# max_lifetime_days = 730: two years, as for piv-auth; FIPS 201 lets no
#   card certificate outlive its card.

[key]
algorithm = ec-p256
id = 04

[request]
subject = CN=${card_uuid}
uri = urn:uuid:${card_uuid}

[certificate]
key_usage = digitalSignature
extended_key_usage = 2.16.840.1.101.3.6.8
max_lifetime_days = 730
