"""Password reset that tells the truth and gives nothing away.

Django's reset logs a mail that could not be sent and tells the user it was; here the mail
server is reached for every request, so a server that is down is shown to whoever asks,
whether or not an account has that address. The answer takes at least
``PASSWORD_RESET_MIN_SECONDS`` either way, so its time does not tell a known address from
an unknown one.
"""

import logging
import time

from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.core import mail
from django.template import loader

logger = logging.getLogger(__name__)

NOT_SENT = (
    "The email could not be sent just now; please try again in a few minutes "
    "(or ask an administrator)."
)


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Send the reset mails over one connection, and let a failure be known."""

    connection = None

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        message = mail.EmailMultiAlternatives(
            subject, body, from_email, [to_email], connection=self.connection
        )
        if html_email_template_name is not None:
            html = loader.render_to_string(html_email_template_name, context)
            message.attach_alternative(html, "text/html")
        message.send()


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm

    def form_valid(self, form):
        started = time.monotonic()
        try:
            with mail.get_connection() as connection:  # opened whatever the address
                form.connection = connection
                response = super().form_valid(form)
        except Exception:  # the mail server refused or could not be reached
            logger.exception("A password reset mail could not be sent.")
            form.add_error(None, NOT_SENT)
            response = self.form_invalid(form)
        elapsed = time.monotonic() - started
        time.sleep(max(0.0, settings.PASSWORD_RESET_MIN_SECONDS - elapsed))
        return response
