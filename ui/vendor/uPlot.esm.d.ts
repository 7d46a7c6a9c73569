// Types of the uPlot module the server serves at /ui/vendor/uPlot.esm.js (node_modules/uplot/dist).
import uPlot from 'uplot';
export default uPlot;
