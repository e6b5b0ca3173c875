// Entry point: Carbon and ns8-ui-lib components, the English texts (with the browser's
// language on top when a translation exists), the router and the store.
import Vue from "vue";
import App from "./App.vue";
import router from "./router";
import store from "./store";
import CarbonComponentsVue from "@carbon/vue";
import axios from "axios";
import VueAxios from "vue-axios";
import ns8Lib from "@nethserver/ns8-ui-lib";
import VueI18n from "vue-i18n";
import VueDateFns from "vue-date-fns";
import "carbon-components/css/carbon-components.min.css";
import "./styles/app.css";
import english from "../public/i18n/en/translation.json";

Vue.use(CarbonComponentsVue);
axios.defaults.timeout = 30000;
Vue.use(VueAxios, axios);
Vue.use(ns8Lib);
Vue.use(VueDateFns);
Vue.use(VueI18n);

const i18n = new VueI18n({
  locale: "en",
  fallbackLocale: "en",
  messages: { en: english },
});

// Weblate keeps the other languages in public/i18n/<lang>/translation.json.
async function loadBrowserLanguage() {
  const lang = (navigator.language || "en").replace("-", "_");
  if (lang.startsWith("en")) {
    return;
  }
  const candidates = [lang, lang.substring(0, 2)];
  for (const candidate of candidates) {
    try {
      const response = await fetch(`i18n/${candidate}/translation.json`);
      if (!response.ok) {
        continue;
      }
      const messages = await response.json();
      if (Object.keys(messages).length) {
        i18n.setLocaleMessage(candidate, messages);
        i18n.locale = candidate;
        return;
      }
    } catch (error) {
      console.warn(`no ${candidate} translation`, error);
    }
  }
}

Vue.config.productionTip = false;

loadBrowserLanguage().finally(() => {
  new Vue({
    router,
    store,
    i18n,
    render: (h) => h(App),
  }).$mount("#ns8-app");
});
