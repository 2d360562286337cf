"""The survey form's own words (buttons, errors, the pages after it) in every survey language.

The questions' words come from the survey files; these are the page's chrome around them. The
customer is addressed formally (``u``, ``Sie``), as a business writes to a customer it wronged.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("en", "nl", "de")

TEXTS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "greeting": "Hello {name},",
        "greeting_anonymous": "Hello,",
        "required_note": "Questions marked * need an answer; the others are optional.",
        "required_mark": "required",
        "optional": "optional",
        "submit": "Send my answers",
        "max_chars": "Up to {max} characters.",
        "errors_title": "Some answers need another look",
        "errors_intro": "Please check the questions marked below; your other answers are kept.",
        "error_required": "Please answer this question.",
        "error_empty": "Please answer at least one question before sending.",
        "error_scale": "Please choose one of the numbers from {low} to {high}.",
        "error_choice": "Please choose one of the options.",
        "error_too_long": "Please shorten this answer to {max} characters or fewer; it now has {count}.",
        "error_text": "This answer cannot be saved as it is; please rewrite it in plain text.",
        "csat_low": "Very dissatisfied",
        "csat_high": "Very satisfied",
        "nps_low": "Not at all likely",
        "nps_high": "Extremely likely",
        "ces_low": "Very difficult",
        "ces_high": "Very easy",
        "scale_hint": "{low} = {low_label}, {high} = {high_label}",
        "done_title": "Thank you",
        "done_body": "Your answers have been saved. We read every one of them, and they help us do better.",
        "done_close": "You can close this page now.",
        "answered_title": "You have already answered",
        "answered_body": "We received your answers earlier. Each survey link can be used once, so nothing more is "
        "needed. Thank you!",
        "expired_title": "This link has expired",
        "expired_body": "Survey links work for a limited time, and this one has run out. If you would still like to "
        "tell us something, simply reply to the email we sent you.",
        "invalid_title": "This link does not work",
        "invalid_body": "Please check that you opened the whole link from our email. If it still does not work, "
        "reply to that email and we will help.",
        "forbidden_title": "Your answers could not be sent",
        "forbidden_body": "For your safety this form only accepts answers sent from its own page, with cookies "
        "allowed for this site. Please open the link in our email again and send your answers from there.",
        "too_large_title": "Your answers are too long",
        "too_large_body": "The form was larger than we can accept. Please open the link again and keep your answers "
        "shorter.",
        "bad_request_title": "Something went wrong with the form",
        "bad_request_body": "We could not read what was sent. Please open the link in our email again and try once "
        "more.",
        "unavailable_title": "We cannot save answers right now",
        "unavailable_body": "Our system is busy for a moment. Please try again in a few minutes; the link still works.",
    },
    "nl": {
        "greeting": "Beste {name},",
        "greeting_anonymous": "Beste klant,",
        "required_note": "Vragen met een * zijn verplicht; de andere zijn optioneel.",
        "required_mark": "verplicht",
        "optional": "optioneel",
        "submit": "Antwoorden versturen",
        "max_chars": "Maximaal {max} tekens.",
        "errors_title": "Enkele antwoorden hebben nog aandacht nodig",
        "errors_intro": "Bekijk de vragen die hieronder zijn gemarkeerd; uw andere antwoorden blijven bewaard.",
        "error_required": "Beantwoord deze vraag alstublieft.",
        "error_empty": "Beantwoord minstens één vraag voordat u verstuurt.",
        "error_scale": "Kies een van de cijfers van {low} tot en met {high}.",
        "error_choice": "Kies een van de mogelijkheden.",
        "error_too_long": "Maak dit antwoord korter: maximaal {max} tekens, het zijn er nu {count}.",
        "error_text": "Dit antwoord kan zo niet worden opgeslagen; schrijf het alstublieft als gewone tekst.",
        "csat_low": "Zeer ontevreden",
        "csat_high": "Zeer tevreden",
        "nps_low": "Zeer onwaarschijnlijk",
        "nps_high": "Zeer waarschijnlijk",
        "ces_low": "Heel moeilijk",
        "ces_high": "Heel makkelijk",
        "scale_hint": "{low} = {low_label}, {high} = {high_label}",
        "done_title": "Hartelijk dank",
        "done_body": "Uw antwoorden zijn opgeslagen. We lezen ze allemaal, en ze helpen ons beter te worden.",
        "done_close": "U kunt deze pagina nu sluiten.",
        "answered_title": "U heeft al geantwoord",
        "answered_body": "We hebben uw antwoorden eerder al ontvangen. Elke enquêtelink kan één keer worden gebruikt, "
        "dus u hoeft verder niets te doen. Bedankt!",
        "expired_title": "Deze link is verlopen",
        "expired_body": "Enquêtelinks werken maar een beperkte tijd, en deze is verlopen. Wilt u ons toch iets "
        "laten weten? Beantwoord dan gewoon de e-mail die we u stuurden.",
        "invalid_title": "Deze link werkt niet",
        "invalid_body": "Controleer of u de volledige link uit onze e-mail heeft geopend. Werkt het dan nog niet, "
        "beantwoord die e-mail dan en we helpen u verder.",
        "forbidden_title": "Uw antwoorden konden niet worden verstuurd",
        "forbidden_body": "Voor uw veiligheid accepteert dit formulier alleen antwoorden die vanaf de eigen pagina "
        "worden verstuurd, met cookies toegestaan voor deze site. Open de link in onze e-mail opnieuw en verstuur "
        "uw antwoorden van daaruit.",
        "too_large_title": "Uw antwoorden zijn te lang",
        "too_large_body": "Het formulier was groter dan we kunnen ontvangen. Open de link opnieuw en houd uw "
        "antwoorden wat korter.",
        "bad_request_title": "Er ging iets mis met het formulier",
        "bad_request_body": "We konden niet lezen wat er werd verstuurd. Open de link in onze e-mail opnieuw en "
        "probeer het nog een keer.",
        "unavailable_title": "We kunnen op dit moment geen antwoorden opslaan",
        "unavailable_body": "Ons systeem is even bezet. Probeer het over een paar minuten opnieuw; de link blijft "
        "werken.",
    },
    "de": {
        "greeting": "Guten Tag {name},",
        "greeting_anonymous": "Guten Tag,",
        "required_note": "Fragen mit * brauchen eine Antwort; die anderen sind freiwillig.",
        "required_mark": "Pflichtfeld",
        "optional": "freiwillig",
        "submit": "Antworten senden",
        "max_chars": "Höchstens {max} Zeichen.",
        "errors_title": "Einige Antworten brauchen noch einen Blick",
        "errors_intro": "Bitte prüfen Sie die unten markierten Fragen; Ihre übrigen Antworten bleiben erhalten.",
        "error_required": "Bitte beantworten Sie diese Frage.",
        "error_empty": "Bitte beantworten Sie mindestens eine Frage, bevor Sie senden.",
        "error_scale": "Bitte wählen Sie eine Zahl von {low} bis {high}.",
        "error_choice": "Bitte wählen Sie eine der Möglichkeiten.",
        "error_too_long": "Bitte kürzen Sie diese Antwort auf höchstens {max} Zeichen; jetzt sind es {count}.",
        "error_text": "Diese Antwort kann so nicht gespeichert werden; bitte schreiben Sie sie als einfachen Text.",
        "csat_low": "Sehr unzufrieden",
        "csat_high": "Sehr zufrieden",
        "nps_low": "Äußerst unwahrscheinlich",
        "nps_high": "Äußerst wahrscheinlich",
        "ces_low": "Sehr schwierig",
        "ces_high": "Sehr einfach",
        "scale_hint": "{low} = {low_label}, {high} = {high_label}",
        "done_title": "Vielen Dank",
        "done_body": "Ihre Antworten wurden gespeichert. Wir lesen jede einzelne, und sie helfen uns, besser zu "
        "werden.",
        "done_close": "Sie können diese Seite jetzt schließen.",
        "answered_title": "Sie haben bereits geantwortet",
        "answered_body": "Ihre Antworten sind schon bei uns angekommen. Jeder Umfragelink lässt sich einmal "
        "verwenden, Sie müssen also nichts weiter tun. Vielen Dank!",
        "expired_title": "Dieser Link ist abgelaufen",
        "expired_body": "Umfragelinks gelten nur eine begrenzte Zeit, und dieser ist abgelaufen. Wenn Sie uns "
        "trotzdem etwas mitteilen möchten, antworten Sie einfach auf unsere E-Mail.",
        "invalid_title": "Dieser Link funktioniert nicht",
        "invalid_body": "Bitte prüfen Sie, ob Sie den vollständigen Link aus unserer E-Mail geöffnet haben. Falls es "
        "weiterhin nicht klappt, antworten Sie auf die E-Mail, und wir helfen Ihnen.",
        "forbidden_title": "Ihre Antworten konnten nicht gesendet werden",
        "forbidden_body": "Zu Ihrer Sicherheit nimmt dieses Formular nur Antworten an, die von seiner eigenen Seite "
        "gesendet werden, mit für diese Website erlaubten Cookies. Bitte öffnen Sie den Link in unserer E-Mail "
        "erneut und senden Sie Ihre Antworten von dort.",
        "too_large_title": "Ihre Antworten sind zu lang",
        "too_large_body": "Das Formular war größer, als wir annehmen können. Bitte öffnen Sie den Link erneut und "
        "fassen Sie Ihre Antworten etwas kürzer.",
        "bad_request_title": "Mit dem Formular ist etwas schiefgegangen",
        "bad_request_body": "Wir konnten nicht lesen, was gesendet wurde. Bitte öffnen Sie den Link in unserer "
        "E-Mail erneut und versuchen Sie es noch einmal.",
        "unavailable_title": "Wir können gerade keine Antworten speichern",
        "unavailable_body": "Unser System ist kurz ausgelastet. Bitte versuchen Sie es in ein paar Minuten erneut; "
        "der Link bleibt gültig.",
    },
}


def texts(language: str) -> Mapping[str, str]:
    """The page texts in ``language``; English for a language the form does not speak."""
    return TEXTS.get(language, TEXTS["en"])


def negotiate(accept_language: str, default: str) -> str:
    """The best of our languages for an ``Accept-Language`` header, else ``default``.

    Used only for pages shown before the invitation (and so its language) is known.
    """
    best, best_q = default, 0.0
    for item in accept_language.split(",")[:20]:
        tag, _, params = item.strip().partition(";")
        language = tag.strip().lower().split("-", 1)[0]
        quality = _quality(params)
        if language in LANGUAGES and quality > best_q:
            best, best_q = language, quality
    return best


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip() == "q":
            try:
                return max(0.0, min(1.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0
