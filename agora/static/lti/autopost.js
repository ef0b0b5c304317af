/* Post the hidden form on arrival (an OIDC form_post or a deep-linking return); its button
   stays for browsers without JavaScript. */
document.getElementById("autopost").submit();
