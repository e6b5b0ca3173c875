// What every page shares: which module instance this is and the admin shell hosting it.
import Vue from "vue";
import Vuex from "vuex";

Vue.use(Vuex);

export default new Vuex.Store({
  state: {
    instanceName: "",
    instanceLabel: "",
    core: null,
    appName: "Imapsync",
  },
  mutations: {
    setInstanceName(state, name) {
      state.instanceName = name;
    },
    setInstanceLabel(state, label) {
      state.instanceLabel = label;
    },
    setCore(state, core) {
      state.core = core;
    },
  },
});
