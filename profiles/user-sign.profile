# user-sign: the key a person signs with: documents (PDF, office files)
# and S/MIME signatures on mail.
#
# Variables: name (the person's name as people read it) and email (their
#   mail address, which mail clients match to the sender), e.g.
#   --set "name=Alice Example" --set email=alice@example.org
#
# Why not the authentication key: a signature stands for the person's
#   consent to what was signed, while authentication signs whatever a
#   server sends as a challenge. A key that does both lets any server the
#   person logs in to ask for a signature over a document of its choice,
#   disguised as a challenge. Separate keys also give separate lifetimes,
#   PIN policies and revocation: a lost logon credential need not void
#   every signature made before.
# ec-p256: PDF readers, S/MIME clients and the European signature
#   formats all verify ECDSA P-256.
# subject = CN=${name} and email = ${email}: mail clients match the
#   signer's address against the rfc822Name SAN (RFC 8550); the CN is the
#   name shown to whoever checks the signature.
# key_usage = digitalSignature, nonRepudiation: S/MIME needs
#   digitalSignature; nonRepudiation (contentCommitment) marks signatures
#   that stand for the signer's commitment to the content. The key never
#   decrypts.
# extended_key_usage = emailProtection: S/MIME; document signers accept
#   it too. No clientAuth: that is user-auth's role.
# max_lifetime_days = 1095: three years; the key signs rarely and only
#   with the person's consent, so it may outlive the logon credential.

[key]
algorithm = ec-p256

[request]
subject = CN=${name}
email = ${email}

[certificate]
key_usage = digitalSignature, nonRepudiation
extended_key_usage = emailProtection
max_lifetime_days = 1095
