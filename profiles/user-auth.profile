# user-auth: the key a person authenticates with: Windows and Kerberos
# (PKINIT) smart-card logon, and TLS client authentication to web sites,
# VPNs and SSH gateways that accept certificates.
#
# Variables: name (the person's name as people read it) and upn (their
#   User Principal Name, the account that logon maps the card to), e.g.
#   --set "name=Alice Example" --set upn=alice@example.org
#
# ec-p256: current smart-card logon (Windows, Kerberos PKINIT) and TLS
#   servers verify ECDSA P-256, and cards make P-256 signatures quickly.
# subject = CN=${name}: for people reading the certificate; logon does not
#   match it.
# upn = ${upn}: the Microsoft UPN otherName (1.3.6.1.4.1.311.20.2.3) in the
#   subject alternative names is what smart-card logon matches to the
#   account; an email SAN is left out, as this key protects no mail.
# key_usage = digitalSignature alone: logon and TLS client authentication
#   only sign a challenge or a handshake; the key never decrypts.
# extended_key_usage = clientAuth, msSmartcardLogin: the two ways one
#   person proves who they are, the same act; no emailProtection and no
#   signing of documents, which are the roles user-sign and user-encrypt.
# max_lifetime_days = 730: two years, a common lifetime for card
#   credentials, renewed with the card's routine maintenance.

[key]
algorithm = ec-p256

[request]
subject = CN=${name}
upn = ${upn}

[certificate]
key_usage = digitalSignature
extended_key_usage = clientAuth, msSmartcardLogin
max_lifetime_days = 730
