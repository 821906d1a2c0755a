"""Claims of the test provider, shaped like ProConnect's (see the README of CoopCTG).

The person's e-mail is their user name at the provider; a user name that starts with
``non-verifie`` has an e-mail the provider does not vouch for (``email_verified`` false).
"""

from oidc_provider.lib.claims import ScopeClaims

ACR = "eidas1"
AMR = ["pwd", "mail"]


def sub(user):
    return f"sub-{user.username}"


def userinfo(claims, user):
    claims["email"] = user.email
    claims["email_verified"] = not user.username.startswith("non-verifie")
    return claims


def add_acr_amr(id_token, user, **kwargs):
    id_token["acr"] = ACR
    id_token["amr"] = AMR
    return id_token


class ProConnectScopeClaims(ScopeClaims):
    info_given_name = ("Prénom", "Votre prénom.")
    info_usual_name = ("Nom", "Votre nom d'usage.")
    info_siret = ("SIRET", "Le SIRET de votre organisation.")
    info_uid = ("Identifiant", "Votre identifiant chez votre fournisseur d'identité.")

    def scope_given_name(self):
        return {"given_name": self.user.first_name}

    def scope_usual_name(self):
        return {"usual_name": self.user.last_name}

    def scope_siret(self):
        return {"siret": "53493208700013"}

    def scope_uid(self):
        return {"uid": str(self.user.pk)}
