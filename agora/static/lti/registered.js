/* Dynamic registration done: tell the platform's registration window to close (LTI DR spec). */
(window.opener || window.parent).postMessage({subject: "org.imsglobal.lti.close"}, "*");
